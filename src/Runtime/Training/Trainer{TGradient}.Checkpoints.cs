using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Autodiff.Training;

/// <content>Checkpoints: the parameters plus a section each for the trainer's state, the optimizer, and the best, EMA and snapshot parameters.</content>
public sealed partial class Trainer<TGradient>
{
    private const string TrainerSection = "trainer", OptimizerSection = "optimizer", BestSection = "best", EmaSection = "ema", SnapshotSection = "snapshots";

    // Full path of the last checkpoint this trainer wrote or resumed from; null when none.
    private string? _checkpointWritten;

    /// <summary>
    /// Writes the model, the optimizer state, the run's position (epoch, batch, step), early-stopping state, the best
    /// and EMA parameters and the history: <see cref="Resume"/> continues from it exactly.
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        var sections = new Dictionary<string, byte[]>
        {
            [TrainerSection] = Bytes(_state.Write),
            [OptimizerSection] = Bytes(_optimizer.SaveState),
        };
        if (_copies.Best is { } best)
        {
            sections[BestSection] = Bytes(w => Checkpoint.WriteTensors(w, _copies.Named(best)));
        }

        if (_copies.Ema is { } ema)
        {
            sections[EmaSection] = Bytes(w => Checkpoint.WriteTensors(w, _copies.Named(ema)));
        }

        if (_copies.Snapshots.Count > 0)
        {
            sections[SnapshotSection] = Bytes(w =>
            {
                w.Write(_copies.Snapshots.Count);
                foreach (Tensor[] snapshot in _copies.Snapshots)
                {
                    Checkpoint.WriteTensors(w, _copies.Named(snapshot));
                }
            });
        }

        Checkpoint.Save(path, _model, new CheckpointInfo(_state.Epoch, _state.Steps), sections);
        _checkpointWritten = Path.GetFullPath(path);
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="SaveCheckpoint"/> (or after an epoch or a cancellation of
    /// <see cref="Fit"/>); the next <see cref="Fit"/> continues where it stopped and reaches the same parameters as
    /// an uninterrupted run. Throws <see cref="CheckpointException"/> naming the problem; nothing changes then.
    /// </summary>
    public CheckpointInfo Resume(string path)
    {
        CheckpointFile file = Checkpoint.Read(path);
        file.Check(_model);
        if (!file.Sections.TryGetValue(TrainerSection, out byte[]? state) || !file.Sections.TryGetValue(OptimizerSection, out byte[]? optimizer))
        {
            throw new CheckpointException($"{path}: holds parameters only (no trainer or optimizer state); load it with Checkpoint.Load to use the parameters, or start a new run.");
        }

        Tensor[]? best = file.Sections.TryGetValue(BestSection, out byte[]? bestBytes) ? ReadTensors(path, Reader(bestBytes), "best parameters") : null;
        Tensor[]? ema = file.Sections.TryGetValue(EmaSection, out byte[]? emaBytes) ? ReadTensors(path, Reader(emaBytes), "averaged parameters") : null;
        var snapshots = new List<Tensor[]>();
        if (file.Sections.TryGetValue(SnapshotSection, out byte[]? snapshotBytes))
        {
            BinaryReader reader = Reader(snapshotBytes);
            int count = snapshotBytes.Length >= 4 ? reader.ReadInt32() : -1;
            if (count < 0 || count > 10_000)
            {
                throw new CheckpointException($"{path}: the snapshots section is malformed.");
            }

            for (int i = 0; i < count; i++)
            {
                snapshots.Add(ReadTensors(path, reader, "snapshot"));
            }
        }

        TrainerState trainerState = TrainerState.Read(Reader(state), Options, path);
        try
        {
            _optimizer.LoadState(Reader(optimizer));
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException($"{path}: {e.Message}.");
        }

        // Everything read and checked: only now does the trainer change.
        _state = trainerState;
        _state.RestorePlateau();
        file.CopyTensorsTo(_model);
        _checkpointWritten = Path.GetFullPath(path);
        _copies.Replace(best, ema, snapshots);
        return file.Info;
    }

    private void TrySaveCheckpoint(string path)
    {
        try
        {
            SaveCheckpoint(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && CheckpointFailed is not null)
        {
            CheckpointFailed!(path, e);
        }
    }

    private Tensor[] ReadTensors(string path, BinaryReader reader, string what)
    {
        List<(string Name, int[] Shape, float[] Values)> stored;
        try
        {
            stored = Checkpoint.ReadTensors(reader);
        }
        catch (EndOfStreamException)
        {
            throw new CheckpointException($"{path}: the {what} section is malformed.");
        }

        CheckpointFile.Check(_parameters, stored, "the model", path);
        Tensor[] tensors = _copies.Allocate();
        for (int i = 0; i < tensors.Length; i++)
        {
            stored[i].Values.CopyTo(tensors[i].Span);
        }

        return tensors;
    }

    private static BinaryReader Reader(byte[] bytes) => new(new MemoryStream(bytes), Encoding.UTF8);

    private static byte[] Bytes(Action<BinaryWriter> write)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            write(writer);
        }

        return stream.ToArray();
    }
}
