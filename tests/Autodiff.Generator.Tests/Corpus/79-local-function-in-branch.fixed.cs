// Expect: gradient at 0.5, 1.5
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double square = Square(x[0]);
        double y = x[1] > 0 ? square : x[0];
        return y;

        static double Square(double v) => v * v;
    }
}
