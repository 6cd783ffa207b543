// Expect: gradient at 0.8, -1.1, 2.0
using System;
using Autodiff;

public static partial class S
{
    // Focal loss (gamma = 2) of logits against alternating labels.
    [Differentiable]
    public static double F(double[] x)
    {
        double loss = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double p = 1 / (1 + Math.Exp(-x[i]));
            double pt = i % 2 == 0 ? p : 1 - p;
            loss -= (1 - pt) * (1 - pt) * Math.Log(pt);
        }

        return loss;
    }
}
