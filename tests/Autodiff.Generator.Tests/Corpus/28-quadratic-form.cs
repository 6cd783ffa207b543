// Expect: gradient at 1.0, -0.5, 2.0
using System;
using Autodiff;

public static partial class S
{
    // x' A x with A lower-triangular by rows (A[i][j] = 1 / (1 + i + j)), in a triangular loop.
    [Differentiable]
    public static double F(double[] x)
    {
        double q = 0;
        for (int i = 0; i < x.Length; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                q += x[i] * x[j] / (1.0 + i + j);
            }
        }

        return q;
    }
}
