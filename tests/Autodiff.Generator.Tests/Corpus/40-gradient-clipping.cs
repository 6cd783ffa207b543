// Expect: gradient at 3.0, 4.0, 0.5
using System;
using Autodiff;

public static partial class S
{
    // A loss that rescales a step to a maximum norm before applying it.
    [Differentiable]
    public static double F(double[] x)
    {
        double norm = Math.Sqrt(x[0] * x[0] + x[1] * x[1]);
        double scale = norm > 1 ? 1 / norm : 1;
        double a = x[0] * scale, b = x[1] * scale;
        return (a - x[2]) * (a - x[2]) + b * b;
    }
}
