// Expect: gradient at 0.5, 2.0
using System;
using Autodiff;

public static partial class S
{
    // The root of t = cos(x0 * t) / x1 by twenty fixed-point iterations.
    [Differentiable]
    public static double F(double[] x)
    {
        double t = 0.5;
        int iterations = 0;
        while (iterations < 20)
        {
            t = Math.Cos(x[0] * t) / x[1];
            iterations++;
        }

        return t;
    }
}
