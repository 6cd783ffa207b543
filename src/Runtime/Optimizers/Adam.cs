using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.Optimizers;

/// <summary>
/// Adam (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980) with bias correction; with
/// <see cref="WeightDecay"/> &gt; 0 it is AdamW (decoupled decay, Loshchilov and Hutter, 2019). Defaults are the
/// paper's: lr 1e-3, β1 0.9, β2 0.999, ε 1e-8.
/// <code>
/// m ← β1 m + (1 - β1) g            first moment
/// v ← β2 v + (1 - β2) g²           second moment
/// m̂ = m / (1 - β1ᵗ), v̂ = v / (1 - β2ᵗ)   bias correction
/// θ ← θ (1 - α λ) - α m̂ / (√v̂ + ε)
/// </code>
/// </summary>
public class Adam : Optimizer
{
    /// <summary>Adam; <paramref name="weightDecay"/> makes it AdamW.</summary>
    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : base(learningRate)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), "beta1 and beta2 must be in [0, 1).");
        }

        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to √v̂.</summary>
    public double Epsilon { get; }

    /// <summary>Decoupled weight decay λ (AdamW).</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override int StateCount => 2;

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
    {
        double correction1 = 1 - Math.Pow(Beta1, step);
        double correction2 = 1 - Math.Pow(Beta2, step);
        var rule = new Rule<T>(
            T.CreateChecked(Beta1), T.CreateChecked(Beta2), T.CreateChecked(1 - Beta1), T.CreateChecked(1 - Beta2),
            T.CreateChecked(LearningRate / correction1), T.CreateChecked(1 / Math.Sqrt(correction2)), T.CreateChecked(Epsilon), T.CreateChecked(1 - LearningRate * WeightDecay));
        UpdateLoop.Run(rule, parameters, gradient, ((T[])state[0]).AsSpan(offset, parameters.Length), ((T[])state[1]).AsSpan(offset, parameters.Length));
    }

    // stepSize = α / (1 - β1ᵗ), rootCorrection2 = 1 / √(1 - β2ᵗ), decay = 1 - αλ: m̂ / (√v̂ + ε) with the corrections folded in.
    private readonly record struct Rule<T>(T Beta1, T Beta2, T OneMinusBeta1, T OneMinusBeta2, T StepSize, T RootCorrection2, T Epsilon, T Decay) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int States => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TL>(ref TL parameter, TL g, ref TL m, ref TL v)
            where TL : struct, ILanes<TL, T>
        {
            m = TL.FlushSubnormal(TL.Create(Beta1) * m + TL.Create(OneMinusBeta1) * g);                  // first moment
            v = TL.FlushSubnormalNonNegative(TL.Create(Beta2) * v + TL.Create(OneMinusBeta2) * g * g);   // second moment
            parameter = parameter * TL.Create(Decay) - TL.Create(StepSize) * m / (TL.Sqrt(v) * TL.Create(RootCorrection2) + TL.Create(Epsilon));
        }
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (default λ = 0.01, as in PyTorch).</summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW with the given decay.</summary>
    public AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
        : base(learningRate, beta1, beta2, epsilon, weightDecay)
    {
    }
}
