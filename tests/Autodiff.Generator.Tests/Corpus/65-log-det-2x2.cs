// Expect: gradient at 2.0, 0.5, 1.5
using System;
using Autodiff;

public static partial class S
{
    // log det of the symmetric matrix [[a, b], [b, c]], which must be positive definite.
    [Differentiable]
    public static double F(double[] x)
    {
        double a = x[0], b = x[1], c = x[2];
        double det = a * c - b * b;
        if (a <= 0 || det <= 0)
        {
            throw new ArgumentException("the matrix is not positive definite", nameof(x));
        }

        return Math.Log(det);
    }
}
