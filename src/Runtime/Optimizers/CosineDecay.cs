using System;

namespace Autodiff.Optimizers;

/// <summary>Cosine annealing (Loshchilov and Hutter, 2017): α_min + ½ (α₀ - α_min)(1 + cos(π epoch / total)), then α_min.</summary>
public sealed class CosineDecay(double initial, int totalEpochs, double minimum = 0) : LearningRateSchedule
{
    /// <inheritdoc/>
    public override double Rate(int epoch)
        => epoch >= totalEpochs ? minimum : minimum + 0.5 * (initial - minimum) * (1 + Math.Cos(Math.PI * epoch / totalEpochs));
}
