// Expect: gradient at 2.0
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        if (!(x[0] > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), "the logarithm needs a positive value");
        }

        return Math.Log(x[0]);
    }
}
