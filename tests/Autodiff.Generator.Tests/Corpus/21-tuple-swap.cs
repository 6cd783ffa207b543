// Expect: gradient at 1.2, 0.7
using System;
using Autodiff;

public static partial class S
{
    // Fibonacci-like recurrence with tuple swaps.
    [Differentiable]
    public static double F(double[] x)
    {
        var (a, b) = (x[0], x[1]);
        for (int i = 0; i < 10; i++)
        {
            (a, b) = (b, 0.5 * a + 0.4 * b);
        }

        return a + b;
    }
}
