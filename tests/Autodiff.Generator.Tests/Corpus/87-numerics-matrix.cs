// Expect: AD0107 at "m = new Matrix4x4((float)x[0], 2, 0, 0, (float)x[1], (float)(x[0] * x[1]), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)"
using System;
using System.Numerics;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        Matrix4x4 m = new Matrix4x4((float)x[0], 2, 0, 0, (float)x[1], (float)(x[0] * x[1]), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
        return m.GetDeterminant();
    }
}
