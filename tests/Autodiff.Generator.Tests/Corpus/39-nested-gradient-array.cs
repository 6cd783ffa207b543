// Expect: AD0115 at "EnergyGradient(x, g)"
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

    [Differentiable]
    public static double F(double[] x)
    {
        double[] g = new double[x.Length];
        double e = EnergyGradient(x, g);
        return e + g[0];
    }
}
