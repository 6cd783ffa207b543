// Expect: gradient at 1.5, 0.3, 2.0, -0.4
using System;
using Autodiff;

public static partial class S
{
    // Two results through out parameters of a helper.
    [Differentiable]
    static void ToCartesian(double r, double theta, out double x, out double y)
    {
        x = r * Math.Cos(theta);
        y = r * Math.Sin(theta);
    }

    [Differentiable]
    public static double F(double[] p)
    {
        ToCartesian(p[0], p[1], out double x1, out double y1);
        ToCartesian(p[2], p[3], out double x2, out double y2);
        return Math.Sqrt((x1 - x2) * (x1 - x2) + (y1 - y2) * (y1 - y2));
    }
}
