using System.Collections.Generic;
using System.IO;

namespace Autodiff.Training;

/// <summary>
/// Where a run stands, besides tensors: the position (epoch, batch, step), the running epoch loss, the rows being
/// trained on, early stopping, the plateau reducer and the history. The trainer section of a checkpoint is exactly
/// this; a resume reads it whole into a new instance and swaps it in only after every other section has been checked.
/// </summary>
internal sealed class TrainerState(TrainerOptions options)
{
    private const int Version = 1;

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; set; }

    /// <summary>Batches done of the epoch in progress (0 between epochs).</summary>
    public int BatchInEpoch { get; set; }

    /// <summary>Optimizer steps taken.</summary>
    public long Steps { get; set; }

    /// <summary>Sum of the batch losses of the epoch in progress.</summary>
    public double EpochLossSum { get; set; }

    /// <summary>Batches summed in <see cref="EpochLossSum"/>.</summary>
    public int EpochBatches { get; set; }

    /// <summary>Rows of the data being trained on (from the last Fit or the resumed checkpoint).</summary>
    public int? TrainRows { get; set; }

    /// <summary>Early-stopping state.</summary>
    public EarlyStopping Stopping { get; private set; } = new(options);

    /// <summary>Metrics of the completed epochs.</summary>
    public List<EpochMetrics> History { get; } = new();

    /// <summary>The plateau reducer's state as read from a checkpoint (NaN rate: none).</summary>
    private (double Best, int Bad, double Rate) _plateau = (double.NaN, 0, double.NaN);

    /// <summary>Counts a finished batch.</summary>
    public void EndBatch(int batch, float loss)
    {
        Steps++;
        EpochLossSum += loss;
        EpochBatches++;
        BatchInEpoch = batch;
    }

    /// <summary>The mean batch loss of the epoch in progress.</summary>
    public double EpochLoss => EpochLossSum / System.Math.Max(1, EpochBatches);

    /// <summary>Closes an epoch.</summary>
    public void EndEpoch(int epoch)
    {
        Epoch = epoch;
        BatchInEpoch = 0;
        EpochLossSum = 0;
        EpochBatches = 0;
    }

    /// <summary>Writes the state: the seed and batch size it is valid for, then the fields.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(Version);
        w.Write(options.Seed);
        w.Write(options.BatchSize);
        w.Write(TrainRows ?? -1);
        w.Write(Epoch);
        w.Write(BatchInEpoch);
        w.Write(Steps);
        w.Write(EpochLossSum);
        w.Write(EpochBatches);
        Stopping.Write(w);
        (double plateauBest, int plateauBad, double plateauRate) = options.Plateau?.State ?? (double.NaN, 0, double.NaN);
        w.Write(plateauBest);
        w.Write(plateauBad);
        w.Write(plateauRate);
        w.Write(History.Count);
        foreach (EpochMetrics m in History)
        {
            w.Write(m.Epoch);
            w.Write(m.BatchLoss);
            w.Write(m.TrainLoss);
            w.Write(m.TrainAccuracy);
            w.Write(m.ValidationLoss);
            w.Write(m.ValidationAccuracy);
            w.Write(m.LearningRate);
            w.Write(m.Seconds);
            w.Write(m.SamplesPerSecond);
        }
    }

    /// <summary>Reads a trainer section into a new state; <see cref="CheckpointException"/> names the problem.</summary>
    public static TrainerState Read(BinaryReader r, TrainerOptions options, string path)
    {
        try
        {
            int version = r.ReadInt32();
            if (version != Version)
            {
                throw new CheckpointException($"{path}: trainer state version {version}; this library reads {Version}.");
            }

            int seed = r.ReadInt32(), batchSize = r.ReadInt32(), rows = r.ReadInt32();
            if (seed != options.Seed || batchSize != options.BatchSize)
            {
                throw new CheckpointException($"{path}: written with seed {seed} and batch size {batchSize}, but this trainer uses seed {options.Seed} and batch size {options.BatchSize}: the batches would differ; resume with the same options.");
            }

            var state = new TrainerState(options)
            {
                TrainRows = rows < 0 ? null : rows,
                Epoch = r.ReadInt32(),
                BatchInEpoch = r.ReadInt32(),
                Steps = r.ReadInt64(),
                EpochLossSum = r.ReadDouble(),
                EpochBatches = r.ReadInt32(),
            };
            state.Stopping = EarlyStopping.Read(r, options);
            state._plateau = (r.ReadDouble(), r.ReadInt32(), r.ReadDouble());
            int count = r.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                state.History.Add(new EpochMetrics(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble()));
            }

            return state;
        }
        catch (EndOfStreamException)
        {
            throw new CheckpointException($"{path}: the trainer section is malformed.");
        }
    }

    /// <summary>Hands the plateau reducer its state from the checkpoint this was read from (when it held one).</summary>
    public void RestorePlateau()
    {
        if (options.Plateau is { } reducer && !double.IsNaN(_plateau.Rate))
        {
            reducer.State = _plateau;
        }
    }
}
