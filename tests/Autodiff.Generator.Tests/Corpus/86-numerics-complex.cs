// Expect: gradient at 0.5, -1.0, 0.3
using System;
using System.Numerics;
using Autodiff;

// A complex polynomial's magnitude with System.Numerics.Complex: its operators, Exp and Magnitude have rules.
public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        Complex z = new Complex(x[0], x[1]);
        Complex p = z * z + x[2] * z + Complex.ImaginaryOne;
        return (p * Complex.Exp(-z)).Magnitude + Complex.Conjugate(p).Phase;
    }
}
