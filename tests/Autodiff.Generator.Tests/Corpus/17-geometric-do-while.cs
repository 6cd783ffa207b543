// Expect: gradient at 0.6
using System;
using Autodiff;

public static partial class S
{
    // A truncated geometric series, summed until the terms are small.
    [Differentiable]
    public static double F(double[] x)
    {
        double term = 1, sum = 0;
        int k = 0;
        do
        {
            sum += term;
            term *= x[0];
            k++;
        }
        while (k < 60 && Math.Abs(term) > 1e-12);

        return sum;
    }
}
