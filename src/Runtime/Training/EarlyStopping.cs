using System;
using System.IO;

namespace Autodiff.Training;

/// <summary>
/// When to stop: the monitored loss has not improved by more than <see cref="TrainerOptions.MinDelta"/> for
/// <see cref="TrainerOptions.Patience"/> epochs, or the mean batch loss has changed by at most
/// <see cref="TrainerOptions.FlatTolerance"/> (relative) for <see cref="TrainerOptions.FlatPatience"/> epochs.
/// Its state is part of a checkpoint, so a resumed run stops where an uninterrupted one would.
/// </summary>
internal sealed class EarlyStopping(TrainerOptions options)
{
    /// <summary>The best monitored loss so far (+∞ before the first epoch).</summary>
    public double BestLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>The epoch that reached <see cref="BestLoss"/> (0 before the first epoch).</summary>
    public int BestEpoch { get; private set; }

    private int _sinceBest;
    private int _flatEpochs;
    private double _lastBatchLoss = double.NaN;

    /// <summary>Records an epoch's monitored loss and mean batch loss; true when the monitored loss is a new best.</summary>
    public bool Observe(int epoch, double monitored, double batchLoss)
    {
        bool improved = monitored < BestLoss - options.MinDelta;
        if (improved)
        {
            (BestLoss, BestEpoch, _sinceBest) = (monitored, epoch, 0);
        }
        else
        {
            _sinceBest++;
        }

        bool flat = options.FlatTolerance is { } tolerance && !double.IsNaN(_lastBatchLoss)
            && Math.Abs(batchLoss - _lastBatchLoss) <= tolerance * Math.Max(1, Math.Abs(batchLoss));
        _flatEpochs = flat ? _flatEpochs + 1 : 0;
        _lastBatchLoss = batchLoss;
        return improved;
    }

    /// <summary>Why training should stop now, or null to go on.</summary>
    public StopReason? Reason
        => options.Patience is { } patience && _sinceBest >= patience ? StopReason.EarlyStopped
            : _flatEpochs >= options.FlatPatience ? StopReason.LossFlat
            : null;

    /// <summary>Writes the state (the trainer section's layout: best loss, best epoch, epochs since, flat epochs, last batch loss).</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write(BestLoss);
        writer.Write(BestEpoch);
        writer.Write(_sinceBest);
        writer.Write(_flatEpochs);
        writer.Write(_lastBatchLoss);
    }

    /// <summary>Reads what <see cref="Write"/> wrote into a new instance (the trainer swaps it in once the whole checkpoint has been verified).</summary>
    public static EarlyStopping Read(BinaryReader reader, TrainerOptions options)
    {
        var stopping = new EarlyStopping(options) { BestLoss = reader.ReadDouble(), BestEpoch = reader.ReadInt32() };
        stopping._sinceBest = reader.ReadInt32();
        stopping._flatEpochs = reader.ReadInt32();
        stopping._lastBatchLoss = reader.ReadDouble();
        return stopping;
    }
}
