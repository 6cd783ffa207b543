// Expect: gradient at 0.3, -1.2, 2.5, 0.05
using System;
using Autodiff;

public static partial class S
{
    // Huber loss of residuals against a fixed target, with the argument checks a library would have.
    [Differentiable]
    public static double F(double[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length == 0)
        {
            throw new ArgumentException("need at least one residual", nameof(x));
        }

        const double delta = 1.0;
        double loss = 0;
        foreach (double r in x)
        {
            double a = Math.Abs(r - 0.1);
            loss += a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
        }

        return loss / x.Length;
    }
}
