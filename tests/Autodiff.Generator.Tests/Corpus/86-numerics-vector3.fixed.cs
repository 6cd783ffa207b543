// Expect: gradient at 0.5, -1.0, 2.0
using System;
using Autodiff;

// System.Numerics.Vector3 is a library type whose methods the generator cannot read: a struct of your own instead.
public struct Vec
{
    public double X, Y, Z;

    public Vec(double x, double y, double z)
    {
        X = x;
        Y = y;
        Z = z;
    }

    public double Length() => Math.Sqrt(X * X + Y * Y + Z * Z);
}

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        Vec p = new Vec(x[0], x[1], x[2]);
        return p.Length();
    }
}
