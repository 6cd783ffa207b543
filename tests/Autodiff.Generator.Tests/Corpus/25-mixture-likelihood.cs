// Expect: gradient at 0.3, -1.0, 1.5, 0.2, 0.4
using System;
using Autodiff;

public static partial class S
{
    // Negative log-likelihood of fixed points under two Gaussians: x = (logit of weight, mean 1, mean 2, log sd 1, log sd 2).
    [Differentiable]
    public static double F(double[] x)
    {
        double[] points = { -1.2, -0.8, 0.1, 1.4, 1.9, 2.2 };
        double w = 1 / (1 + Math.Exp(-x[0]));
        double s1 = Math.Exp(x[3]), s2 = Math.Exp(x[4]);
        double nll = 0;
        foreach (double p in points)
        {
            double z1 = (p - x[1]) / s1, z2 = (p - x[2]) / s2;
            double l1 = Math.Log(w) - x[3] - 0.5 * z1 * z1;
            double l2 = Math.Log(1 - w) - x[4] - 0.5 * z2 * z2;
            double m = Math.Max(l1, l2);
            nll -= m + Math.Log(Math.Exp(l1 - m) + Math.Exp(l2 - m));
        }

        return nll;
    }
}
