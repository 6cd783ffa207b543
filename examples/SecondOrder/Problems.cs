using Autodiff;

namespace SecondOrder;

/// <summary>The objectives of the example, written plainly; the generator adds their gradients, Hessians and Jacobians.</summary>
public static partial class Problems
{
    /// <summary>Rosenbrock's banana valley: minimum 0 at (1, 1).</summary>
    [Differentiable(SecondOrder = true)]
    public static double Rosenbrock(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

    /// <summary>Mean logistic loss of a linear classifier (labels ±1) plus λ/2 ‖w‖².</summary>
    [Differentiable(SecondOrder = true)]
    public static double Logistic(double[] w, [NoDerivative] double[] features, [NoDerivative] double[] labels, [NoDerivative] double lambda)
    {
        int d = w.Length;
        double loss = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = 0;
            for (int j = 0; j < d; j++)
            {
                z += w[j] * features[i * d + j];
            }

            double margin = -labels[i] * z;
            // log(1 + e^m), written so that a large margin does not overflow
            loss += margin > 0 ? margin + Math.Log(1 + Math.Exp(-margin)) : Math.Log(1 + Math.Exp(margin));
        }

        double norm = 0;
        for (int j = 0; j < d; j++)
        {
            norm += w[j] * w[j];
        }

        return loss / labels.Length + 0.5 * lambda * norm;
    }

    /// <summary>
    /// Rosenbrock's value after <paramref name="steps"/> steps of gradient descent from (-1.2, 1) with step size
    /// e^<paramref name="logRate"/>: a function of the step size. Each step calls the generated
    /// <c>RosenbrockGradient</c>, so this method's own gradient differentiates through every step (nested
    /// differentiation, with Rosenbrock's second derivatives).
    /// </summary>
    [Differentiable]
    public static double AfterSteps(double logRate, int steps)
    {
        double x = -1.2, y = 1.0, rate = Math.Exp(logRate);
        for (int k = 0; k < steps; k++)
        {
            RosenbrockGradient(x, y, out double gx, out double gy);
            x -= rate * gx;
            y -= rate * gy;
        }

        return Rosenbrock(x, y);
    }

    /// <summary>Residuals of the model a e^(-k t) + c against observations y: one output per observation.</summary>
    [Differentiable]
    public static void DecayResiduals(ReadOnlySpan<double> p, [NoDerivative] double[] t, [NoDerivative] double[] y, [Output] Span<double> r)
    {
        for (int i = 0; i < t.Length; i++)
        {
            r[i] = p[0] * Math.Exp(-p[1] * t[i]) + p[2] - y[i];
        }
    }
}
