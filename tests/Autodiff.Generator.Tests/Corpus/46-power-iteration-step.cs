// Expect: gradient at 1.0, 0.5
using System;
using Autodiff;

public static partial class S
{
    // Rayleigh quotient after three steps of power iteration with a fixed 2 x 2 matrix.
    [Differentiable]
    public static double F(double[] x)
    {
        double a = x[0], b = x[1];
        for (int k = 0; k < 3; k++)
        {
            double na = 2 * a + 1 * b, nb = 1 * a + 3 * b;
            double norm = Math.Sqrt(na * na + nb * nb);
            a = na / norm;
            b = nb / norm;
        }

        return (a * (2 * a + b) + b * (a + 3 * b)) / (a * a + b * b);
    }
}
