// Expect: gradient at -6.0
using System;
using Autodiff;

public static partial class S
{
    // The loss after ten gradient steps on a quadratic, as a function of the log step size.
    [Differentiable(SecondOrder = true)]
    static double Bowl(double a, double b) => 0.5 * a * a + 5 * b * b + 0.3 * a * b;

    [Differentiable]
    public static double F(double[] x)
    {
        double a = 1, b = 1, rate = Math.Exp(x[0]);
        for (int k = 0; k < 10; k++)
        {
            BowlGradient(a, b, out double ga, out double gb);
            a -= rate * ga;
            b -= rate * gb;
        }

        return Bowl(a, b);
    }
}
