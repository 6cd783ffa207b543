// Expect: gradient at 0.6, 1.4
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x) => x[0] * x[1];
}
