// Expect: gradient at 1e-3, 2.5, -1.25, 7.0
using System;
using Autodiff;

public static partial class S
{
    // A sum of squares with Kahan's compensation.
    [Differentiable]
    public static double F(double[] x)
    {
        double sum = 0, c = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double y = x[i] * x[i] - c;
            double t = sum + y;
            c = (t - sum) - y;
            sum = t;
        }

        return sum;
    }
}
