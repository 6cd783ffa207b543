using System;
using System.Numerics;

namespace Autodiff.Optimizers;

/// <summary>
/// Polyak/EMA averaging of parameters: avg ← d avg + (1 - d) θ after each step; evaluate with <see cref="Average"/>.
/// The first update copies θ, so early averages are not biased towards zero.
/// </summary>
public sealed class ExponentialMovingAverage<T>(int length, double decay = 0.999)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _average = new T[length];
    private bool _started;

    /// <summary>The averaged parameters.</summary>
    public ReadOnlySpan<T> Average => _average;

    /// <summary>Folds the current parameters into the average.</summary>
    public void Update(ReadOnlySpan<T> parameters)
    {
        if (parameters.Length != _average.Length)
        {
            throw new ArgumentException($"Expected {_average.Length} parameters, got {parameters.Length}.", nameof(parameters));
        }

        if (!_started)
        {
            parameters.CopyTo(_average);
            _started = true;
            return;
        }

        T d = T.CreateChecked(decay), rest = T.One - d;
        for (int i = 0; i < _average.Length; i++)
        {
            _average[i] = d * _average[i] + rest * parameters[i];
        }
    }
}
