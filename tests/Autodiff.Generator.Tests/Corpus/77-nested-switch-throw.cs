// Expect: gradient at 0.2, 3.5, 15.0
using System;
using Autodiff;

public static partial class S
{
    // Piecewise rates by band, with a band that is an error.
    [Differentiable]
    public static double F(double[] x)
    {
        double total = 0;
        foreach (double v in x)
        {
            double rate = v switch
            {
                < 0 => throw new ArgumentOutOfRangeException(nameof(x), "negative amount"),
                < 1 => 0.1,
                < 10 => 0.2,
                _ => 0.3,
            };
            total += rate * v * v;
        }

        return total;
    }
}
