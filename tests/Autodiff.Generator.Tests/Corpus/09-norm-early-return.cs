// Expect: gradient at 3.0, -4.0, 1.0
using System;
using Autodiff;

public static partial class S
{
    // The Euclidean norm, zero for an empty vector.
    [Differentiable]
    public static double F(double[] x)
    {
        if (x.Length == 0)
        {
            return 0;
        }

        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += x[i] * x[i];
        }

        return Math.Sqrt(s);
    }
}
