// Expect: gradient at -1.2, 1.0, 0.8, 0.6
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            sum += a * a + 100 * b * b;
        }

        return sum;
    }
}
