using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.Optimizers;

/// <summary>
/// Stochastic gradient descent, plain, with heavy-ball momentum, or with Nesterov momentum; one
/// implementation for the three (as tinygrad's SGD), since they differ by one line.
/// <code>
/// g ← g + λθ                (L2 weight decay, coupled)
/// v ← μ v + g               (momentum; skipped when μ = 0)
/// θ ← θ - α v               (heavy ball)
/// θ ← θ - α (g + μ v)       (Nesterov's look-ahead, in the form PyTorch and Sutskever et al. 2013 use)
/// </code>
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Plain SGD (momentum 0), heavy-ball (momentum &gt; 0) or Nesterov (<paramref name="nesterov"/>).</summary>
    public Sgd(double learningRate = 0.01, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        : base(learningRate)
    {
        if (momentum is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1).");
        }

        if (nesterov && momentum == 0)
        {
            throw new ArgumentException("Nesterov momentum needs momentum > 0.", nameof(nesterov));
        }

        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
    }

    /// <summary>Momentum μ (0: plain SGD).</summary>
    public double Momentum { get; }

    /// <summary>Use Nesterov's look-ahead.</summary>
    public bool Nesterov { get; }

    /// <summary>L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override int StateCount => Momentum > 0 ? 1 : 0;

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
    {
        T lr = T.CreateChecked(LearningRate), decay = T.CreateChecked(WeightDecay);
        if (state.Length == 0)
        {
            UpdateLoop.Run(new Plain<T>(lr, decay), parameters, gradient, default, default);
        }
        else
        {
            UpdateLoop.Run(new WithMomentum<T>(lr, decay, T.CreateChecked(Momentum), Nesterov), parameters, gradient, ((T[])state[0]).AsSpan(offset, parameters.Length), default);
        }
    }

    private readonly record struct Plain<T>(T LearningRate, T Decay) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int States => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TL>(ref TL parameter, TL gradient, ref TL unused0, ref TL unused1)
            where TL : struct, ILanes<TL, T>
            => parameter -= TL.Create(LearningRate) * (gradient + TL.Create(Decay) * parameter);
    }

    private readonly record struct WithMomentum<T>(T LearningRate, T Decay, T Momentum, bool Nesterov) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int States => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TL>(ref TL parameter, TL gradient, ref TL velocity, ref TL unused)
            where TL : struct, ILanes<TL, T>
        {
            TL g = gradient + TL.Create(Decay) * parameter;
            velocity = TL.FlushSubnormal(TL.Create(Momentum) * velocity + g);   // velocity
            parameter -= Nesterov ? TL.Create(LearningRate) * (g + TL.Create(Momentum) * velocity) : TL.Create(LearningRate) * velocity;
        }
    }
}
