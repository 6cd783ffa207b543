// Expect: gradient at 0.5, 1.5
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    static double Scaled(double[] a, int i, double s) => a[i] * s;

    [Differentiable]
    public static double F(double[] x)
    {
        double s = 0;
        for (int k = 1; k <= 3; k++)
        {
            s += Scaled(x, 0, k);
        }

        return s;
    }
}
