using System;

namespace Autodiff.Optimizers;

/// <summary>
/// Multiplies the rate by <c>factor</c> when the monitored loss has not improved by more than <c>minDelta</c>
/// for <c>patience</c> observations; never below <c>minimum</c>. Call <see cref="Observe"/> once per epoch.
/// </summary>
public sealed class ReduceOnPlateau(double initial, double factor = 0.1, int patience = 5, double minDelta = 1e-4, double minimum = 0)
{
    private double _best = double.PositiveInfinity;
    private int _bad;

    /// <summary>The current rate.</summary>
    public double Rate { get; private set; } = initial;

    /// <summary>Records this epoch's loss; returns the (possibly reduced) rate.</summary>
    public double Observe(double loss)
    {
        if (loss < _best - minDelta)
        {
            _best = loss;
            _bad = 0;
        }
        else if (++_bad > patience)
        {
            Rate = Math.Max(minimum, Rate * factor);
            _bad = 0;
        }

        return Rate;
    }

    /// <summary>The state a checkpoint keeps: best loss, observations without improvement, current rate.</summary>
    internal (double Best, int Bad, double Rate) State
    {
        get => (_best, _bad, Rate);
        set => (_best, _bad, Rate) = value;
    }
}
