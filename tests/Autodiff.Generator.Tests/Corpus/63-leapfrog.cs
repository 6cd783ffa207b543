// Expect: gradient at 1.0, 0.0, 2.0
using System;
using Autodiff;

public static partial class S
{
    // A harmonic oscillator (position, velocity, stiffness) integrated by leapfrog; the final position.
    [Differentiable]
    public static double F(double[] x)
    {
        double q = x[0], p = x[1], k = x[2];
        const double dt = 0.05;
        for (int step = 0; step < 100; step++)
        {
            p -= 0.5 * dt * k * q;
            q += dt * p;
            p -= 0.5 * dt * k * q;
        }

        return q;
    }
}
