// Expect: gradient at 0.7
using System;
using Autodiff;

public static partial class S
{
    // The integral of exp(-a t^2) over [-1, 1] by three-point Gauss-Legendre quadrature.
    [Differentiable]
    public static double F(double[] x)
    {
        double[] nodes = { -0.7745966692414834, 0.0, 0.7745966692414834 };
        double[] weights = { 5.0 / 9, 8.0 / 9, 5.0 / 9 };
        double integral = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            integral += weights[i] * Math.Exp(-x[0] * nodes[i] * nodes[i]);
        }

        return integral;
    }
}
