// Expect: gradient at 0.0, 0.0, 1.0, 2.0, 3.0, 1.5, 4.0, 0.0
using System;
using Autodiff;

public static partial class S
{
    // Length of a cubic Bezier curve through four control points (x, y pairs), by 32 chords.
    [Differentiable]
    public static double F(double[] x)
    {
        const int segments = 32;
        double length = 0, px = x[0], py = x[1];
        for (int k = 1; k <= segments; k++)
        {
            double t = (double)k / segments, u = 1 - t;
            double b0 = u * u * u, b1 = 3 * u * u * t, b2 = 3 * u * t * t, b3 = t * t * t;
            double qx = b0 * x[0] + b1 * x[2] + b2 * x[4] + b3 * x[6];
            double qy = b0 * x[1] + b1 * x[3] + b2 * x[5] + b3 * x[7];
            length += Math.Sqrt((qx - px) * (qx - px) + (qy - py) * (qy - py));
            px = qx;
            py = qy;
        }

        return length;
    }
}
