// Expect: gradient at 1.0, 2.0, 3.0, 4.0
using System;
using Autodiff;

public static partial class S
{
    // A 2 x 2 matrix stored by rows in a flat array: m[i, j] is m[2 * i + j].
    [Differentiable]
    public static double Trace(double[] m) => m[0] + m[3];

    [Differentiable]
    public static double F(double[] x) => Trace(x) * (x[0] * x[3] - x[1] * x[2]);
}
