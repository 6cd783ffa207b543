// Expect: gradient at 0.5, 2.0
using System;
using Autodiff;

public static partial class S
{
    // Print from the caller, after FGradient returns the value.
    [Differentiable]
    public static double F(double[] x) => x[0] * x[1];
}
