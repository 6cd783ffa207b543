using System;
using System.Numerics;
using System.Runtime.CompilerServices;

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
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
    {
        T rho = T.CreateChecked(Rho);
        var rule = new Rule<T>(T.CreateChecked(LearningRate), rho, T.One - rho, T.CreateChecked(Epsilon));
        UpdateLoop.Run(rule, parameters, gradient, ((T[])state[0]).AsSpan(offset, parameters.Length), default);
    }

    private readonly record struct Rule<T>(T LearningRate, T Rho, T OneMinusRho, T Epsilon) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int States => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TL>(ref TL parameter, TL g, ref TL mean, ref TL unused)
            where TL : struct, ILanes<TL, T>
        {
            mean = TL.FlushSubnormalNonNegative(TL.Create(Rho) * mean + TL.Create(OneMinusRho) * g * g);   // leaky mean of g²
            parameter -= TL.Create(LearningRate) * g / (TL.Sqrt(mean) + TL.Create(Epsilon));
        }
    }
}
