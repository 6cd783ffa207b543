// Expect: gradient at 0.4, 1.7
using System;
using Autodiff;

public static partial class S
{
    // Validation in throw expressions, in a return and in a declaration.
    [Differentiable]
    public static double F(double[] x)
    {
        double scale = x.Length >= 2 ? x[1] : throw new ArgumentException("need two values", nameof(x));
        return scale > 0 ? Math.Log(scale) * x[0] : throw new ArgumentOutOfRangeException(nameof(x), "scale must be positive");
    }
}
