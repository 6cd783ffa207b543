// Expect: gradient at 1.5, -0.7, 3.2, 0.0, 2.9
using System;
using Autodiff;

public static partial class S
{
    // Log-sum-exp, shifted by the maximum so that it does not overflow.
    [Differentiable]
    public static double F(double[] x)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, x[i]);
        }

        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += Math.Exp(x[i] - max);
        }

        return max + Math.Log(sum);
    }
}
