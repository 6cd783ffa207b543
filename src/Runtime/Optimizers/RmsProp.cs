using System;
using System.Numerics;

namespace Autodiff.Optimizers;

/// <summary>
/// RMSProp (Tieleman and Hinton, 2012): AdaGrad with a leaky average of squared gradients.
/// <code>
/// s ← ρ s + (1 - ρ) g²
/// θ ← θ - α g / (√s + ε)
/// </code>
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Defaults: lr 0.001, ρ 0.9, ε 1e-8.</summary>
    public RmsProp(double learningRate = 0.001, double rho = 0.9, double epsilon = 1e-8)
        : base(learningRate)
    {
        if (rho is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rho), rho, "rho must be in [0, 1).");
        }

        Rho = rho;
        Epsilon = epsilon;
    }

    /// <summary>Decay ρ of the squared-gradient average.</summary>
    public double Rho { get; }

    /// <summary>Added to √s.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    protected override int StateCount => 1;

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, long step)
    {
        T lr = T.CreateChecked(LearningRate), rho = T.CreateChecked(Rho), eps = T.CreateChecked(Epsilon);
        Span<T> mean = (T[])state[0];
        for (int i = 0; i < parameters.Length; i++)
        {
            T g = gradient[i];
            mean[i] = rho * mean[i] + (T.One - rho) * g * g;   // leaky mean of g²
            parameters[i] -= lr * g / (T.Sqrt(mean[i]) + eps);
        }
    }
}
