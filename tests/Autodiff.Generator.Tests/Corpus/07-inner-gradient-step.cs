// Expect: gradient at 0.4, -0.3, 0.2
using System;
using Autodiff;

public static partial class S
{
    // The loss after two steps of gradient descent on an inner objective (learning to learn, in one line of calculus).
    [Differentiable(SecondOrder = true)]
    static double Inner(double a, double b, [NoDerivative] double target) => (a * a + b - target) * (a * a + b - target) + 0.1 * a * a;

    [Differentiable]
    public static double F(double[] x)
    {
        double a = x[0], b = x[1], rate = x[2];
        for (int k = 0; k < 2; k++)
        {
            InnerGradient(a, b, 1.5, out double ga, out double gb);
            a -= rate * ga;
            b -= rate * gb;
        }

        return (a - 1) * (a - 1) + b * b;
    }
}
