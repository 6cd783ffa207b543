// Expect: gradient at 0.3, -0.7, 1.1, 0.5, -0.2, 0.9
using System;
using Autodiff;

// Euler angles to a rotation matrix with small matrix helpers, then the squared distance of a rotated point to a target.
public static partial class S
{
    [Differentiable]
    static double[,] MatMul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(1), k = a.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int l = 0; l < k; l++)
                    s += a[i, l] * b[l, j];
                c[i, j] = s;
            }
        return c;
    }

    [Differentiable]
    static double[,] Rx(double t)
    {
        double c = Math.Cos(t), s = Math.Sin(t);
        return new double[,] { { 1, 0, 0 }, { 0, c, -s }, { 0, s, c } };
    }

    [Differentiable]
    static double[,] Ry(double t)
    {
        double c = Math.Cos(t), s = Math.Sin(t);
        return new double[,] { { c, 0, s }, { 0, 1, 0 }, { -s, 0, c } };
    }

    [Differentiable]
    static double[,] Rz(double t)
    {
        double c = Math.Cos(t), s = Math.Sin(t);
        return new double[,] { { c, -s, 0 }, { s, c, 0 }, { 0, 0, 1 } };
    }

    [Differentiable]
    static double[,] EulerToRotation(double tx, double ty, double tz) => MatMul(MatMul(Rz(tz), Ry(ty)), Rx(tx));

    [Differentiable]
    public static double F(double[] x)
    {
        double[,] r = EulerToRotation(x[0], x[1], x[2]);
        double[] p = { x[3], x[4], x[5] };
        double[] target = { 0.5, -0.25, 1.0 };
        double d = 0;
        for (int i = 0; i < 3; i++)
        {
            double q = r[i, 0] * p[0] + r[i, 1] * p[1] + r[i, 2] * p[2];
            d += (q - target[i]) * (q - target[i]);
        }
        return d;
    }
}
