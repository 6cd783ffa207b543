// Expect: gradient at 0.4, -1.3, 0.8
using System;
using Autodiff;

// x' A x for a symmetric A built from x itself, with the matrix as double[,] and its size read by GetLength.
public static partial class S
{
    [Differentiable]
    static double QuadraticForm(double[,] a, double[] x)
    {
        double s = 0;
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++)
                s += x[i] * a[i, j] * x[j];
        return s;
    }

    [Differentiable]
    public static double F(double[] x)
    {
        int n = x.Length;
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                a[i, j] = Math.Exp(-(x[i] - x[j]) * (x[i] - x[j])) + (i == j ? 1.0 : 0.0);
        return QuadraticForm(a, x);
    }
}
