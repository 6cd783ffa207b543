using Autodiff;

namespace Autodiff.Benchmarks;

/// <summary>The functions whose generated gradients are measured, written as a user would write them.</summary>
public static partial class Functions
{
    /// <summary>Rosenbrock in N dimensions: Σ (1 - xᵢ)² + 100 (xᵢ₊₁ - xᵢ²)².</summary>
    [Differentiable]
    public static double Rosenbrock(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            s += a * a + 100 * b * b;
        }

        return s;
    }

    /// <summary>Rosenbrock with N = 2 written out (no loop).</summary>
    [Differentiable]
    public static double Rosenbrock2(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

    /// <summary>A recurrence over many steps: hₜ = tanh(w hₜ₋₁ + u xₜ), loss Σ hₜ².</summary>
    [Differentiable]
    public static double Recurrence(double w, double u, [NoDerivative] double[] xs)
    {
        double h = 0;
        double loss = 0;
        for (int t = 0; t < xs.Length; t++)
        {
            h = Math.Tanh(w * h + u * xs[t]);
            loss += h * h;
        }

        return loss;
    }

    /// <summary>A branchy piecewise function summed over an array.</summary>
    [Differentiable]
    public static double Piecewise(double[] x)
    {
        double s = 0;
        foreach (double v in x)
        {
            if (v < -1)
            {
                s += -2 * v - 1;
            }
            else if (v < 1)
            {
                s += v * v;
            }
            else
            {
                s += Math.Sqrt(v) * 2 - 1;
            }
        }

        return s;
    }

    [Differentiable]
    private static double Softplus(double z) => Math.Log(1 + Math.Exp(z));

    /// <summary>A composition of differentiable calls.</summary>
    [Differentiable]
    public static double Composition(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += Softplus(x[i] * 0.5) * Softplus(-x[i]);
        }

        return s;
    }

    /// <summary>Hand-derived Rosenbrock gradient (the reference in the brief: ~1.96x at N = 10 000).</summary>
    public static double RosenbrockHand(double[] x, Span<double> dx)
    {
        dx.Clear();
        double s = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            s += a * a + 100 * b * b;
            dx[i] += -2 * a - 400 * b * x[i];
            dx[i + 1] += 200 * b;
        }

        return s;
    }
}
