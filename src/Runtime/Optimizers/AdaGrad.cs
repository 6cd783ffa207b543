using System;
using System.Numerics;

namespace Autodiff.Optimizers;

/// <summary>
/// AdaGrad (Duchi, Hazan and Singer, 2011): per-coordinate steps shrink with the accumulated squared gradient.
/// <code>
/// s ← s + g²
/// θ ← θ - α g / (√s + ε)
/// </code>
/// </summary>
public sealed class AdaGrad : Optimizer
{
    /// <summary>Defaults as in PyTorch: lr 0.01, ε 1e-10.</summary>
    public AdaGrad(double learningRate = 0.01, double epsilon = 1e-10)
        : base(learningRate) => Epsilon = epsilon;

    /// <summary>Added to √s.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    protected override int StateCount => 1;

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, long step)
    {
        T lr = T.CreateChecked(LearningRate), eps = T.CreateChecked(Epsilon);
        Span<T> sum = (T[])state[0];
        for (int i = 0; i < parameters.Length; i++)
        {
            T g = gradient[i];
            sum[i] += g * g;                                   // accumulated squared gradient
            parameters[i] -= lr * g / (T.Sqrt(sum[i]) + eps);  // per-coordinate step
        }
    }
}
