// Expect: gradient at 0.0, 1.0, 0.5, 0.2, 0.0
using System;
using Autodiff;

public static partial class S
{
    // Explicit steps of the heat equation on a rod with fixed ends; the energy of the final state.
    [Differentiable]
    public static double F(double[] x)
    {
        double[] u = new double[x.Length];
        double[] next = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            u[i] = x[i];
        }

        for (int step = 0; step < 25; step++)
        {
            for (int i = 1; i + 1 < x.Length; i++)
            {
                next[i] = u[i] + 0.2 * (u[i - 1] - 2 * u[i] + u[i + 1]);
            }

            for (int i = 1; i + 1 < x.Length; i++)
            {
                u[i] = next[i];
            }
        }

        double energy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            energy += u[i] * u[i];
        }

        return energy;
    }
}
