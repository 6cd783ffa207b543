// Expect: gradient at 0.0, 1.0, 4.0, 9.0, 16.0
using System;
using Autodiff;

public static partial class S
{
    // Linear interpolation in a table of values x at 0, 1, 2, ... found by a search.
    [Differentiable]
    public static double F(double[] x)
    {
        const double at = 2.6;
        int k = 0;
        while (k + 2 < x.Length && k + 1 <= at)
        {
            k++;
        }

        double weight = at - k;
        return (1 - weight) * x[k] + weight * x[k + 1];
    }
}
