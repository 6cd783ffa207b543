// Expect: gradient at 1.3
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    static void Fill(Span<double> z, double v)
    {
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = Math.Pow(v, i);
        }
    }

    [Differentiable]
    public static double F(double[] x)
    {
        Span<double> z = stackalloc double[4];
        Fill(z, x[0]);
        return z[3] - z[1];
    }
}
