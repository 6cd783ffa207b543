// Expect: gradient at 0.0, 0.0, 0.1, 1.0, 0.2, 0.0, 0.3, 1.1, -0.2
using System;
using Autodiff;

// The area of a triangle in space, with a Vec3 record struct, a cross product and a length.
public record struct Vec3(double X, double Y, double Z)
{
    public static Vec3 operator -(Vec3 a, Vec3 b) => new Vec3(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    public Vec3 Cross(Vec3 b) => new Vec3(Y * b.Z - Z * b.Y, Z * b.X - X * b.Z, X * b.Y - Y * b.X);

    public double Length() => Math.Sqrt(X * X + Y * Y + Z * Z);
}

public static partial class S
{
    [Differentiable]
    static double Area(Vec3 a, Vec3 b, Vec3 c) => 0.5 * (b - a).Cross(c - a).Length();

    [Differentiable]
    public static double F(double[] x)
        => Area(new Vec3(x[0], x[1], x[2]), new Vec3(x[3], x[4], x[5]), new Vec3(x[6], x[7], x[8]));
}
