// Expect: gradient at 0.8, 0.1, 9.81, 0.3
using System;
using Autodiff;

public static partial class S
{
    // A damped pendulum integrated with RK4; x = (angle, angular velocity, g/L, damping).
    [Differentiable]
    public static double F(double[] x)
    {
        double theta = x[0], omega = x[1], gl = x[2], damping = x[3];
        const double h = 0.01;
        for (int step = 0; step < 200; step++)
        {
            double k1t = omega, k1o = Accel(theta, omega);
            double k2t = omega + 0.5 * h * k1o, k2o = Accel(theta + 0.5 * h * k1t, omega + 0.5 * h * k1o);
            double k3t = omega + 0.5 * h * k2o, k3o = Accel(theta + 0.5 * h * k2t, omega + 0.5 * h * k2o);
            double k4t = omega + h * k3o, k4o = Accel(theta + h * k3t, omega + h * k3o);
            theta += h / 6 * (k1t + 2 * k2t + 2 * k3t + k4t);
            omega += h / 6 * (k1o + 2 * k2o + 2 * k3o + k4o);
        }

        return theta * theta + 0.1 * omega * omega;

        double Accel(double a, double w) => -gl * Math.Sin(a) - damping * w;
    }
}
