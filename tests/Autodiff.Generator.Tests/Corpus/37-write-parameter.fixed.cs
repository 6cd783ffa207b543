// Expect: gradient at 0.5, 2.0
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double first = Math.Max(x[0], 0);
        return first * x[1];
    }
}
