using System;

namespace Autodiff.Optimizers;

/// <summary>α₀ γ^⌊epoch / every⌋: multiply by <c>Gamma</c> every <c>Every</c> epochs.</summary>
public sealed class StepDecay(double initial, int every, double gamma = 0.1) : LearningRateSchedule
{
    /// <inheritdoc/>
    public override double Rate(int epoch) => initial * Math.Pow(gamma, epoch / Math.Max(1, every));
}
