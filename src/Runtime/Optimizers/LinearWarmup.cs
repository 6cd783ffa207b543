namespace Autodiff.Optimizers;

/// <summary>Ramps linearly from rate/(warmup+1) up to the inner schedule over the first <c>warmupEpochs</c>, then follows it.</summary>
public sealed class LinearWarmup(LearningRateSchedule inner, int warmupEpochs) : LearningRateSchedule
{
    /// <inheritdoc/>
    public override double Rate(int epoch)
        => epoch < warmupEpochs ? inner.Rate(epoch) * (epoch + 1) / (warmupEpochs + 1) : inner.Rate(epoch);
}
