// Expect: gradient at -0.5, 0.4, 1.7
using System;
using Autodiff;

public static partial class S
{
    // Barrier-style penalty on values clamped into [0, 1].
    [Differentiable]
    public static double F(double[] x)
    {
        double penalty = 0;
        foreach (double v in x)
        {
            double c = Math.Clamp(v, 0.0, 1.0);
            penalty += (v - c) * (v - c) + c * (1 - c);
        }

        return penalty;
    }
}
