// Expect: AD0102 at "Square(x[0])"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double y = x[1] > 0 ? Square(x[0]) : x[0];
        return y;

        static double Square(double v) => v * v;
    }
}
