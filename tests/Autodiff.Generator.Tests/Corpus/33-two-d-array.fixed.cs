// Expect: gradient at 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0
using System;
using Autodiff;

public static partial class S
{
    // The 2 x 2 x 2 block stored in a one-dimensional array: v[i, j, k] is v[4 * i + 2 * j + k].
    [Differentiable]
    public static double Diagonal(double[] v) => v[0] + v[7];

    [Differentiable]
    public static double F(double[] x) => Diagonal(x) * (x[0] * x[3] - x[1] * x[2]);
}
