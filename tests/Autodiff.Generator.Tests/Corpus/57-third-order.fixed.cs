// Expect: gradient at 0.6
using System;
using Autodiff;

public static partial class S
{
    [Differentiable(SecondOrder = true)]
    static double E(double v) => v * v * v * v;

    // The second derivative of E written out: E''(v) = 12 v^2.
    [Differentiable]
    static double Curvature(double v) => 12 * v * v;

    [Differentiable]
    public static double F(double[] x) => EJvp(x[0], 1.0).Tangent + Curvature(x[0]);
}
