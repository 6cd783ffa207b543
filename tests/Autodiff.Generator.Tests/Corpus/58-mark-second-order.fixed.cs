// Expect: gradient at 0.6, 1.4
using System;
using Autodiff;

public static partial class S
{
    [Differentiable(SecondOrder = true)]
    static double G(double v) => Math.Sin(v) * v;

    [Differentiable]
    public static double F(double[] x) => GJvp(x[0], 1.0).Tangent * x[1];
}
