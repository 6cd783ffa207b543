// Expect: AD0101 at "Fill(z, k - 1, v * 0.5)"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    static void Fill(Span<double> z, int k, double v)
    {
        if (k < 0)
        {
            return;
        }

        z[k] = v;
        Fill(z, k - 1, v * 0.5);
    }

    [Differentiable]
    public static double F(double[] x)
    {
        Span<double> z = stackalloc double[3];
        Fill(z, 2, x[0]);
        return z[0] + z[1] * z[2];
    }
}
