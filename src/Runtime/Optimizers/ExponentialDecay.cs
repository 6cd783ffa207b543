using System;

namespace Autodiff.Optimizers;

/// <summary>α₀ γ^epoch.</summary>
public sealed class ExponentialDecay(double initial, double gamma) : LearningRateSchedule
{
    /// <inheritdoc/>
    public override double Rate(int epoch) => initial * Math.Pow(gamma, epoch);
}
