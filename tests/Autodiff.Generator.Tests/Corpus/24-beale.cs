// Expect: gradient at 2.5, 0.3
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double a = x[0], b = x[1];
        double t1 = 1.5 - a + a * b;
        double t2 = 2.25 - a + a * b * b;
        double t3 = 2.625 - a + a * b * b * b;
        return t1 * t1 + t2 * t2 + t3 * t3;
    }
}
