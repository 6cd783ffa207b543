// Expect: gradient at 0.3, 1.9, -0.7, 0.2
using System;
using Autodiff;

public static partial class S
{
    // Smooth L1 of consecutive differences, skipping pairs that are already close.
    [Differentiable]
    public static double F(double[] x)
    {
        double s = 0;
        for (int i = 1; i < x.Length; i++)
        {
            double d = x[i] - x[i - 1];
            if (Math.Abs(d) < 1e-3)
            {
                continue;
            }

            s += Math.Abs(d) < 1 ? 0.5 * d * d : Math.Abs(d) - 0.5;
        }

        return s;
    }
}
