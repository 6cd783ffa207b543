// Expect: gradient at 0.0, 0.0, 1.2, 0.1, 0.4, 0.9
using System;
using Autodiff;

public static partial class S
{
    // Springs of rest length 1 between every pair of three points in the plane.
    [Differentiable]
    public static double F(double[] x)
    {
        int n = x.Length / 2;
        double energy = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double dx = x[2 * j] - x[2 * i], dy = x[2 * j + 1] - x[2 * i + 1];
                double stretch = Math.Sqrt(dx * dx + dy * dy) - 1;
                energy += 0.5 * stretch * stretch;
            }
        }

        return energy;
    }
}
