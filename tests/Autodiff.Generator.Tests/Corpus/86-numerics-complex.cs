// Expect: AD0107 at "z = new Complex(x[0], x[1])"
using System;
using System.Numerics;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        Complex z = new Complex(x[0], x[1]);
        return (z * z).Magnitude;
    }
}
