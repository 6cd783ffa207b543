using Autodiff;

namespace Digits;

/// <summary>
/// A one-hidden-layer perceptron written as plain C#: the generator derives <see cref="LossGradient"/> from
/// <see cref="Loss"/>. Parameters live in one flat vector: W1 (hidden x inputs), b1 (hidden), W2 (10 x hidden), b2 (10).
/// </summary>
public static partial class Mlp
{
    public const int Classes = 10;

    public static int ParameterCount(int inputs, int hidden) => hidden * inputs + hidden + Classes * hidden + Classes;

    /// <summary>Softmax cross-entropy of one example: -log softmax(W2 relu(W1 x + b1) + b2)[label].</summary>
    [Differentiable]
    public static double Loss(double[] p, [NoDerivative] ReadOnlySpan<double> x, int label, int hidden)
    {
        int inputs = x.Length;
        int w2 = hidden * inputs + hidden;
        int b2 = w2 + Classes * hidden;

        // hidden layer: h = relu(W1 x + b1)
        Span<double> h = stackalloc double[hidden];
        for (int j = 0; j < hidden; j++)
        {
            double z = p[hidden * inputs + j];
            for (int i = 0; i < inputs; i++)
            {
                z += p[j * inputs + i] * x[i];
            }

            h[j] = Math.Max(z, 0.0);
        }

        // logits o = W2 h + b2, and their maximum for a stable log-sum-exp
        Span<double> o = stackalloc double[Classes];
        double max = double.NegativeInfinity;
        for (int k = 0; k < Classes; k++)
        {
            double s = p[b2 + k];
            for (int j = 0; j < hidden; j++)
            {
                s += p[w2 + k * hidden + j] * h[j];
            }

            o[k] = s;
            max = Math.Max(max, Ad.StopGradient(s)); // only a shift: no derivative needed
        }

        // log Σ exp(o - m) + m - o[label]; the shift m cancels, so no gradient needs to flow through it
        double m = Ad.StopGradient(max);
        double sum = 0;
        for (int k = 0; k < Classes; k++)
        {
            sum += Math.Exp(o[k] - m);
        }

        return Math.Log(sum) + m - o[label];
    }

    /// <summary>The most likely class (plain C#, no derivative needed).</summary>
    public static int Predict(ReadOnlySpan<double> p, ReadOnlySpan<double> x, int hidden)
    {
        int inputs = x.Length;
        int w2 = hidden * inputs + hidden;
        int b2 = w2 + Classes * hidden;
        Span<double> h = stackalloc double[hidden];
        for (int j = 0; j < hidden; j++)
        {
            double z = p[hidden * inputs + j];
            for (int i = 0; i < inputs; i++)
            {
                z += p[j * inputs + i] * x[i];
            }

            h[j] = Math.Max(z, 0.0);
        }

        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int k = 0; k < Classes; k++)
        {
            double s = p[b2 + k];
            for (int j = 0; j < hidden; j++)
            {
                s += p[w2 + k * hidden + j] * h[j];
            }

            if (s > bestScore)
            {
                bestScore = s;
                best = k;
            }
        }

        return best;
    }

    /// <summary>He-uniform weights (for ReLU), zero biases; seeded.</summary>
    public static double[] Initialize(int inputs, int hidden, int seed)
    {
        var random = new Random(seed);
        var p = new double[ParameterCount(inputs, hidden)];
        double limit1 = Math.Sqrt(6.0 / inputs);
        for (int i = 0; i < hidden * inputs; i++)
        {
            p[i] = (random.NextDouble() * 2 - 1) * limit1;
        }

        int w2 = hidden * inputs + hidden;
        double limit2 = Math.Sqrt(6.0 / hidden);
        for (int i = 0; i < Classes * hidden; i++)
        {
            p[w2 + i] = (random.NextDouble() * 2 - 1) * limit2;
        }

        return p;
    }
}
