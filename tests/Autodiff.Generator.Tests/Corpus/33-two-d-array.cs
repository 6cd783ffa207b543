// Expect: AD0004 at "m"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double Trace(double[,] m) => m[0, 0] + m[1, 1];

    [Differentiable]
    public static double F(double[] x) => x[0] * x[3] - x[1] * x[2];
}
