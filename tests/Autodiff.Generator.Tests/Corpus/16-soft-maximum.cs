// Expect: gradient at 0.2, 0.9, -1.4
using System;
using Autodiff;

public static partial class S
{
    // A smooth maximum through a softplus local function.
    [Differentiable]
    public static double F(double[] x)
    {
        double best = x[0];
        for (int i = 1; i < x.Length; i++)
        {
            best = best + SoftPlus(x[i] - best);
        }

        return best;

        static double SoftPlus(double v) => v > 30 ? v : Math.Log(1 + Math.Exp(v));
    }
}
