// Expect: AD0115 at "EHvp(x[0], 1.0, out double h)"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable(SecondOrder = true)]
    static double E(double v) => v * v * v * v;

    [Differentiable]
    public static double F(double[] x) => EHvp(x[0], 1.0, out double h) + h;
}
