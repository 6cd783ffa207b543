// Expect: AD0104 at "Smooth(x[0])"
using System;
using Autodiff;

public static partial class S
{
    static double Smooth(double v) => v * v / (1 + v * v);

    [Differentiable]
    public static double F(double[] x) => Smooth(x[0]) + x[1];
}
