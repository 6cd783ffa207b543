// Expect: gradient at 0.5, 1.5
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        return Square(x[0]) + x[1];

        static double Square(double v) => v * v;
    }
}
