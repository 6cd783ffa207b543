using System;

namespace Autodiff.Optimizers;

/// <summary>
/// Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter, 2017) with a fixed period: within each cycle
/// of <c>period</c> epochs the rate falls from α₀ to α_min along a half cosine, then jumps back. The end of each
/// cycle is where snapshot ensembles (Huang et al., 2017) take their snapshots.
/// </summary>
public sealed class CosineRestarts : LearningRateSchedule
{
    private readonly double _initial;
    private readonly int _period;
    private readonly double _minimum;

    /// <summary>Cycles of <paramref name="period"/> epochs from <paramref name="initial"/> down to <paramref name="minimum"/>.</summary>
    public CosineRestarts(double initial, int period, double minimum = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(period);
        (_initial, _period, _minimum) = (initial, period, minimum);
    }

    /// <inheritdoc/>
    public override double Rate(int epoch)
        => _minimum + 0.5 * (_initial - _minimum) * (1 + Math.Cos(Math.PI * (epoch % _period) / _period));
}
