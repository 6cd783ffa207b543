// Expect: gradient at 1.5
using System;
using Autodiff;

public static partial class S
{
    // The generator writes the gradient: FGradient(x, dx).
    [Differentiable]
    public static double F(double[] x) => x[0] * x[0];
}
