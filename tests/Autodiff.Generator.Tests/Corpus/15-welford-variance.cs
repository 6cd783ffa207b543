// Expect: gradient at 1.0, 2.5, 0.5, 4.0
using System;
using Autodiff;

public static partial class S
{
    // The sample variance by Welford's online update.
    [Differentiable]
    public static double F(double[] x)
    {
        double mean = 0, m2 = 0;
        int n = 0;
        foreach (double v in x)
        {
            n++;
            double delta = v - mean;
            mean += delta / n;
            m2 += delta * (v - mean);
        }

        return n > 1 ? m2 / (n - 1) : 0;
    }
}
