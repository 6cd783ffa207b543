using Autodiff;

namespace Regression;

/// <summary>The models and losses, written plainly; the generator derives their gradients.</summary>
public static partial class Losses
{
    /// <summary>Mean squared error of the line y = w x + b (p = [w, b]).</summary>
    [Differentiable]
    public static double LinearMse(double[] p, [NoDerivative] double[] xs, [NoDerivative] double[] ys)
    {
        double sum = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            double error = p[0] * xs[i] + p[1] - ys[i];
            sum += error * error;
        }

        return sum / xs.Length;
    }

    /// <summary>w·xᵢ + b for row i (a differentiable helper both losses call).</summary>
    [Differentiable]
    public static double Logit(double[] p, [NoDerivative] double[] features, int i) => p[0] * features[2 * i] + p[1] * features[2 * i + 1] + p[2];

    /// <summary>Mean binary cross-entropy of σ(w·x + b), p = [w1, w2, b], features (n, 2) row-major, labels 0/1.</summary>
    [Differentiable]
    public static double CrossEntropy(double[] p, [NoDerivative] double[] features, [NoDerivative] double[] labels)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = Logit(p, features, i);
            // -[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^z) - y z, written stably
            double softplus = z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
            sum += softplus - labels[i] * z;
        }

        return sum / labels.Length;
    }

    /// <summary>Mean squared error of the probability σ(w·x + b) against the 0/1 label: the wrong loss for classification.</summary>
    [Differentiable]
    public static double ProbabilityMse(double[] p, [NoDerivative] double[] features, [NoDerivative] double[] labels)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = Logit(p, features, i);
            double probability = 1 / (1 + Math.Exp(-z));
            sum += (probability - labels[i]) * (probability - labels[i]);
        }

        return sum / labels.Length;
    }
}
