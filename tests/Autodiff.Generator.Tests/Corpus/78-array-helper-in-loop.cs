// Expect: gradient at 0.5, 1.5
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    static double[] Scale(double[] a, double s)
    {
        double[] c = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            c[i] = a[i] * s;
        }

        return c;
    }

    [Differentiable]
    public static double F(double[] x)
    {
        double s = 0;
        for (int k = 1; k <= 3; k++)
        {
            double[] y = Scale(x, k);
            s += y[0];
        }

        return s;
    }
}
