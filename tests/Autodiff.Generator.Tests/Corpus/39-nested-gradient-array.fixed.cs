// Expect: gradient at 0.2, 0.9, 1.5
using System;
using Autodiff;

public static partial class S
{
    [Differentiable(SecondOrder = true)]
    static double Energy(double[] p)
    {
        double e = 0;
        for (int i = 0; i + 1 < p.Length; i++)
        {
            e += (p[i + 1] - p[i]) * (p[i + 1] - p[i]);
        }

        return e;
    }

    // The derivative along the first coordinate is a directional derivative.
    [Differentiable]
    public static double F(double[] x)
    {
        double[] first = new double[x.Length];
        first[0] = 1;
        var (e, g0) = EnergyJvp(x, first);
        return e + g0;
    }
}
