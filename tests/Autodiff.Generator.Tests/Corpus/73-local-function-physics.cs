// Expect: gradient at 0.3, 0.0, 1.2
using System;
using Autodiff;

public static partial class S
{
    // A projectile with quadratic drag, the force in a local function; x = (angle, drag, speed).
    [Differentiable]
    public static double F(double[] x)
    {
        double vx = x[2] * Math.Cos(x[0] + 0.7), vy = x[2] * Math.Sin(x[0] + 0.7);
        double px = 0, py = 0;
        const double dt = 0.01;
        for (int step = 0; step < 100; step++)
        {
            double speed = Math.Sqrt(vx * vx + vy * vy);
            vx += dt * Drag(vx, speed);
            vy += dt * (Drag(vy, speed) - 9.81);
            px += dt * vx;
            py += dt * vy;
        }

        return px + 0.1 * py;

        double Drag(double v, double speed) => -x[1] * speed * v;
    }
}
