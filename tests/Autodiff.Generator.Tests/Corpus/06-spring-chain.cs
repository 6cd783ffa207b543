// Expect: gradient at 0.0, 1.1, 1.9, 3.2, 0.4
using System;
using Autodiff;

public static partial class S
{
    // Energy of a chain of springs of rest length 1 between points on a line.
    [Differentiable]
    public static double F(double[] x)
    {
        Span<double> stretch = stackalloc double[x.Length - 1];
        for (int i = 0; i + 1 < x.Length; i++)
        {
            stretch[i] = Math.Abs(x[i + 1] - x[i]) - 1.0;
        }

        return 0.5 * SumOfSquares(stretch);
    }

    [Differentiable]
    static double SumOfSquares(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (double e in v)
        {
            s += e * e;
        }

        return s;
    }
}
