using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace Autodiff.Training;

/// <summary>
/// Copies of a model's parameters that a run keeps besides the live ones: the exponential moving average (EMA,
/// Polyak averaging), the best epoch's parameters (restore-best) and the last snapshots (snapshot ensembles).
/// Evaluation uses the EMA when it is on, so "best" and the snapshots hold what was evaluated.
/// </summary>
internal sealed class ParameterAveraging(List<NamedTensor> parameters)
{
    private readonly List<Tensor[]> _snapshots = new();
    private Tensor[]? _backup;

    /// <summary>The parameters of the best epoch so far; null until one is kept.</summary>
    public Tensor[]? Best { get; set; }

    /// <summary>The moving average; null when EMA is off or no step has been taken.</summary>
    public Tensor[]? Ema { get; private set; }

    /// <summary>The kept snapshots, oldest first.</summary>
    public IReadOnlyList<Tensor[]> Snapshots => _snapshots;

    /// <summary>Folds the current parameters into the EMA: avg ← avg + (θ - avg)(1 - decay); the first call copies θ.</summary>
    public void UpdateEma(double decay)
    {
        bool started = Ema is not null;
        Ema ??= Allocate();
        for (int i = 0; i < parameters.Count; i++)
        {
            Span<float> average = Ema[i].Span;
            ReadOnlySpan<float> current = parameters[i].Value.Span;
            if (!started)
            {
                Kernels.Elementwise.Copy(current, average);
            }
            else
            {
                Kernels.Elementwise.Lerp(average, current, (float)(1 - decay), average);
            }
        }
    }

    /// <summary>Keeps the evaluated parameters as the best so far.</summary>
    public void KeepBest()
    {
        Best ??= Allocate();
        CopyEvaluated(Best);
    }

    /// <summary>Keeps the evaluated parameters as the newest snapshot, dropping the oldest beyond <paramref name="keep"/>.</summary>
    public void TakeSnapshot(int keep)
    {
        Tensor[] snapshot = _snapshots.Count == keep ? _snapshots[0] : Allocate();
        _snapshots.Remove(snapshot);
        CopyEvaluated(snapshot);
        _snapshots.Add(snapshot);
    }

    /// <summary>Replaces the EMA, the best parameters and the snapshots (from a checkpoint).</summary>
    public void Replace(Tensor[]? best, Tensor[]? ema, List<Tensor[]> snapshots)
    {
        Best = best;
        Ema = ema;
        _snapshots.Clear();
        _snapshots.AddRange(snapshots);
    }

    /// <summary>Runs <paramref name="evaluate"/> with the EMA in place of the parameters when there is one, then puts the parameters back.</summary>
    public T Evaluated<T>(Func<T> evaluate) => Ema is null ? evaluate() : With(Ema, evaluate);

    /// <summary>Runs <paramref name="use"/> with <paramref name="values"/> in place of the parameters, then puts the parameters back.</summary>
    public T With<T>(Tensor[] values, Func<T> use) => Undone(() =>
    {
        Restore(values);
        return use();
    });

    /// <summary>Runs <paramref name="use"/>, then puts the parameters back as they were before it (also when it throws).</summary>
    public T Undone<T>(Func<T> use)
    {
        _backup ??= Allocate();
        Copy(parameters, _backup);
        try
        {
            return use();
        }
        finally
        {
            Restore(_backup);
        }
    }

    /// <inheritdoc cref="With{T}(Tensor[], Func{T})"/>
    public void With(Tensor[] values, Action use) => With(values, () =>
    {
        use();
        return true;
    });

    /// <summary>Copies <paramref name="from"/> into the parameters.</summary>
    public void Restore(Tensor[] from)
    {
        for (int i = 0; i < from.Length; i++)
        {
            from[i].CopyTo(parameters[i].Value);
        }
    }

    /// <summary>Zero tensors shaped like the parameters.</summary>
    public Tensor[] Allocate() => parameters.ConvertAll(p => Tensor.ZerosLike(p.Value)).ToArray();

    /// <summary>The tensors named as the parameters, for a checkpoint section.</summary>
    public List<NamedTensor> Named(Tensor[] tensors)
    {
        var list = new List<NamedTensor>(tensors.Length);
        for (int i = 0; i < tensors.Length; i++)
        {
            list.Add(new NamedTensor(parameters[i].Name, tensors[i]));
        }

        return list;
    }

    private void CopyEvaluated(Tensor[] into)
    {
        if (Ema is not null)
        {
            for (int i = 0; i < into.Length; i++)
            {
                Ema[i].CopyTo(into[i]);
            }
        }
        else
        {
            Copy(parameters, into);
        }
    }

    private static void Copy(List<NamedTensor> from, Tensor[] to)
    {
        for (int i = 0; i < to.Length; i++)
        {
            from[i].Value.CopyTo(to[i]);
        }
    }
}
