// Expect: gradient at 0.5, -1.0
using System;
using Autodiff;

// A 2 x 2 matrix as a struct of your own, where System.Numerics.Matrix4x4's members have no rules.
public struct Mat2
{
    public double A, B, C, D;

    public double Determinant => A * D - B * C;
}

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        var m = new Mat2 { A = x[0], B = 2, C = x[1], D = x[0] * x[1] };
        return m.Determinant;
    }
}
