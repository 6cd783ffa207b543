// Expect: gradient at 0.7, 1.0, -2.0, 0.5, 3.0
using System;
using Autodiff;

public static partial class S
{
    // A polynomial in x[0] with coefficients x[1..], by Horner's rule.
    [Differentiable]
    public static double F(double[] x)
    {
        double t = x[0];
        double p = 0;
        for (int k = x.Length - 1; k >= 1; k--)
        {
            p = p * t + x[k];
        }

        return p;
    }
}
