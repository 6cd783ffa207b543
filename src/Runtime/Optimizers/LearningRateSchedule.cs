namespace Autodiff.Optimizers;

/// <summary>A learning rate as a function of the epoch (0-based); apply with <c>optimizer.LearningRate = schedule.Rate(epoch)</c>.</summary>
public abstract class LearningRateSchedule
{
    /// <summary>The rate for <paramref name="epoch"/>.</summary>
    public abstract double Rate(int epoch);
}
