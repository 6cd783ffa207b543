// Expect: gradient at 0.1, 0.2, 1.1, -0.1, 2.3, 0.4
using System;
using Autodiff;

// Three masses on a line of springs, positions as a small struct with operators: the potential energy.
public struct Point2
{
    public double X, Y;

    public Point2(double x, double y)
    {
        X = x;
        Y = y;
    }

    public static Point2 operator -(Point2 a, Point2 b) => new Point2(a.X - b.X, a.Y - b.Y);

    public double Norm => Math.Sqrt(X * X + Y * Y);
}

public struct SpringLink
{
    public double Rest;
    public double Stiffness;

    public double Energy(Point2 a, Point2 b)
    {
        double stretch = (b - a).Norm - Rest;
        return 0.5 * Stiffness * stretch * stretch;
    }
}

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        var a = new Point2(x[0], x[1]);
        var b = new Point2(x[2], x[3]);
        var c = new Point2(x[4], x[5]);
        var soft = new SpringLink { Rest = 1.0, Stiffness = 2.0 };
        var stiff = new SpringLink { Rest = 1.2, Stiffness = 10.0 };
        double gravity = 9.81 * (a.Y + b.Y + c.Y);
        return soft.Energy(a, b) + stiff.Energy(b, c) + gravity;
    }
}
