// Expect: gradient at 1.0, 2.0, 0.5, -1.0, 0.3, 2.0
using System;
using Autodiff;

public static partial class S
{
    // Cosine similarity of the two halves of x.
    [Differentiable]
    public static double F(double[] x)
    {
        int n = x.Length / 2;
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < n; i++)
        {
            dot += x[i] * x[n + i];
            aa += x[i] * x[i];
            bb += x[n + i] * x[n + i];
        }

        return dot / Math.Sqrt(aa * bb);
    }
}
