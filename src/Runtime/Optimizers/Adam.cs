using System;

namespace Autodiff.Optimizers;

/// <summary>
/// Adam (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980) over a flat parameter vector, with bias
/// correction; with <see cref="WeightDecay"/> it is AdamW (decoupled decay, Loshchilov and Hutter, 2019).
/// Defaults are the paper's: lr 1e-3, β1 0.9, β2 0.999, ε 1e-8.
/// </summary>
public sealed class Adam
{
    private readonly double[] _m;
    private readonly double[] _v;
    private long _step;

    /// <summary>Creates state for <paramref name="parameterCount"/> parameters.</summary>
    public Adam(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(learningRate);
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), "beta1 and beta2 must be in [0, 1).");
        }

        _m = new double[parameterCount];
        _v = new double[parameterCount];
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>Step size α.</summary>
    public double LearningRate { get; set; }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to √v̂ to avoid division by zero.</summary>
    public double Epsilon { get; }

    /// <summary>Decoupled weight decay λ (AdamW): θ -= α λ θ each step.</summary>
    public double WeightDecay { get; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount => _step;

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradient"/>, in one fused pass.</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        if (parameters.Length != _m.Length || gradient.Length != _m.Length)
        {
            throw new ArgumentException($"Adam was created for {_m.Length} parameters; got {parameters.Length} parameters and {gradient.Length} gradients.");
        }

        _step++;
        double correction1 = 1 - Math.Pow(Beta1, _step);                 // bias correction of m
        double correction2 = 1 - Math.Pow(Beta2, _step);                 // bias correction of v
        double stepSize = LearningRate / correction1;
        double decay = 1 - LearningRate * WeightDecay;
        double sqrtCorrection2 = Math.Sqrt(correction2);
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i];
            _m[i] = Beta1 * _m[i] + (1 - Beta1) * g;                      // first moment
            _v[i] = Beta2 * _v[i] + (1 - Beta2) * g * g;                  // second moment
            double denominator = Math.Sqrt(_v[i]) / sqrtCorrection2 + Epsilon;
            parameters[i] = parameters[i] * decay - stepSize * _m[i] / denominator;   // θ -= α m̂ / (√v̂ + ε)
        }
    }
}
