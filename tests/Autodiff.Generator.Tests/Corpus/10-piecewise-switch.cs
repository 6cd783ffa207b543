// Expect: gradient at 0.3, 1.7, -0.2
using System;
using Autodiff;

public static partial class S
{
    // A piecewise cost by region, rejecting what it does not model.
    [Differentiable]
    public static double F(double[] x)
    {
        double total = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            total += v switch
            {
                > 100 => throw new ArgumentOutOfRangeException(nameof(x), "values above 100 are not modelled"),
                > 1 => Math.Log(v) + 1,
                > 0 => v,
                _ => Math.Exp(v) - 1,
            };
        }

        return total;
    }
}
