// Expect: gradient at 0.3, 10.0
using System;
using Autodiff;

public static partial class S
{
    // Squared one-step-ahead errors of exponential smoothing with rate x[0] from level x[1].
    [Differentiable]
    public static double F(double[] x)
    {
        double[] series = { 10.2, 11.0, 10.7, 12.1, 12.8, 12.5, 13.9 };
        double level = x[1], sse = 0;
        foreach (double y in series)
        {
            double error = y - level;
            sse += error * error;
            level += x[0] * error;
        }

        return sse;
    }
}
