// Expect: gradient at 0.5, -1.0, 0.25, 0.1
using System;
using Autodiff;

public static partial class S
{
    // Least squares of a cubic (coefficients x) against samples of sin, the powers kept running.
    [Differentiable]
    public static double F(double[] x)
    {
        double sse = 0;
        for (int k = 0; k < 20; k++)
        {
            double t = -1 + 0.1 * k, power = 1, fit = 0;
            for (int j = 0; j < x.Length; j++)
            {
                fit += x[j] * power;
                power *= t;
            }

            double r = fit - Math.Sin(t);
            sse += r * r;
        }

        return sse;
    }
}
