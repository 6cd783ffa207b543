using System;
using System.Numerics;
using System.Runtime.CompilerServices;

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
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
        => UpdateLoop.Run(new Rule<T>(T.CreateChecked(LearningRate), T.CreateChecked(Epsilon)), parameters, gradient, ((T[])state[0]).AsSpan(offset, parameters.Length), default);

    private readonly record struct Rule<T>(T LearningRate, T Epsilon) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int States => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TL>(ref TL parameter, TL g, ref TL sum, ref TL unused)
            where TL : struct, ILanes<TL, T>
        {
            sum += g * g;                                                                // accumulated squared gradient
            parameter -= TL.Create(LearningRate) * g / (TL.Sqrt(sum) + TL.Create(Epsilon));   // per-coordinate step
        }
    }
}
