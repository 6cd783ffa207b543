// Expect: AD0004 at "v"
using System;
using Autodiff;

public static partial class S
{
    // A 2 x 2 x 2 block: three-dimensional arrays are not supported (two-dimensional ones are).
    [Differentiable]
    public static double Diagonal(double[,,] v) => v[0, 0, 0] + v[1, 1, 1];

    [Differentiable]
    public static double F(double[] x) => x[0] * x[3] - x[1] * x[2];
}
