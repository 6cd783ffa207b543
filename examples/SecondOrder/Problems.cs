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
