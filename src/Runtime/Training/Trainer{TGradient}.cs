using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Numerics.Tensors;
using System.Text;
using System.Threading;
using Autodiff.Data;
using Autodiff.Optimizers;

namespace Autodiff.Training;

/// <summary>Computes a mini-batch's loss and writes its gradient into <paramref name="gradient"/> (overwriting it): a generated <c>{M}Gradient</c> method fits.</summary>
public delegate float BatchLossGradient<in TGradient>(Tensor inputs, int[] labels, TGradient gradient);

/// <summary>
/// Mini-batch training of a classifier model: seeded shuffling, a learning-rate schedule, early stopping on the
/// validation loss (patience, min-delta) with restore-best, a flat-loss stop, EMA evaluation, a NaN/infinity guard
/// that names the epoch, batch and tensor, per-batch and per-epoch events, and checkpoints that resume exactly.
/// <code>
/// var model = new Mlp(784, 128, 10, seed: 1);
/// var trainer = new Trainer&lt;Mlp.Gradient&gt;(model, model.CreateGradient(), new Adam(1e-3),
///     model.LossGradient, model.Forward, model.Step, new TrainerOptions { Epochs = 20, Patience = 5 });
/// TrainingResult result = trainer.Fit(train, validation);
/// </code>
/// Deterministic for a seed and thread count: epoch e visits the rows in a permutation that depends on
/// (seed, e) only, so the state to save is the position, not a random generator.
/// </summary>
/// <typeparam name="TGradient">The model's generated <c>Gradient</c> type.</typeparam>
public sealed class Trainer<TGradient>
    where TGradient : ITensorSet
{
    private const string TrainerSection = "trainer", OptimizerSection = "optimizer", BestSection = "best", EmaSection = "ema", SnapshotSection = "snapshots";
    private const int StateVersion = 1;

    private readonly ITensorSet _model;
    private readonly TGradient _gradient;
    private readonly Optimizer _optimizer;
    private readonly BatchLossGradient<TGradient> _lossGradient;
    private readonly Func<Tensor, Tensor> _logits;
    private readonly Action<Optimizer, TGradient> _step;
    private readonly List<NamedTensor> _parameters;
    private readonly List<NamedTensor> _gradients;
    private readonly List<EpochMetrics> _history = new();
    private readonly List<Tensor[]> _snapshots = new();

    // The run's position and early-stopping state: everything a checkpoint needs besides tensors.
    private int _epoch;
    private int _batchInEpoch;
    private long _steps;
    private double _epochLossSum;
    private int _epochBatches;
    private double _bestLoss = double.PositiveInfinity;
    private int _bestEpoch;
    private int _sinceBest;
    private int _flatEpochs;
    private double _lastBatchLoss = double.NaN;
    private int? _trainRows; // rows of the data being trained on (from the last Fit or the resumed checkpoint)

    private Tensor[]? _best;
    private Tensor[]? _ema;
    private Tensor[]? _backup;
    private Tensor? _batch;
    private int[] _labels = Array.Empty<int>();
    private int[] _tailLabels = Array.Empty<int>();
    private bool _emaStarted;

    /// <summary>Creates a trainer.</summary>
    /// <param name="model">The model's parameters (a <c>[Model]</c> class).</param>
    /// <param name="gradient">A gradient of the model, reused every batch (<c>model.CreateGradient()</c>).</param>
    /// <param name="optimizer">Updates the parameters.</param>
    /// <param name="lossGradient">Loss and gradient of a batch, e.g. the generated <c>model.LossGradient</c>.</param>
    /// <param name="logits">Class scores for a batch of inputs (batch, classes), e.g. <c>model.Forward</c>; used for the metrics.</param>
    /// <param name="step">The fused optimizer step, e.g. the generated <c>model.Step</c>; null: a per-tensor step over <see cref="ITensorSet"/> (the same update).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    public Trainer(ITensorSet model, TGradient gradient, Optimizer optimizer, BatchLossGradient<TGradient> lossGradient, Func<Tensor, Tensor> logits, Action<Optimizer, TGradient>? step = null, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(gradient);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(lossGradient);
        ArgumentNullException.ThrowIfNull(logits);
        _model = model;
        _gradient = gradient;
        _optimizer = optimizer;
        _lossGradient = lossGradient;
        _logits = logits;
        _step = step ?? StepEachTensor;
        Options = options ?? new TrainerOptions();
        if (Options.Epochs < 1 || Options.BatchSize < 1 || Options.EvaluationBatchSize < 1 || Options.TrainMetricRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Epochs, BatchSize, EvaluationBatchSize and TrainMetricRows must be positive.");
        }

        if (Options.Patience is < 1 || Options.FlatPatience < 1 || Options.EmaDecay is < 0 or >= 1 || Options.Snapshots < 0 || Options.SnapshotEvery < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Patience, FlatPatience and SnapshotEvery must be positive, Snapshots not negative and EmaDecay in [0, 1).");
        }

        if (Options.Schedule is not null && Options.Plateau is not null)
        {
            throw new ArgumentException("Set either Schedule or Plateau, not both: both would set the learning rate.", nameof(options));
        }

        _parameters = model.Tensors();
        _gradients = gradient.Tensors();
        if (_parameters.Count != _gradients.Count)
        {
            throw new ArgumentException($"The model has {_parameters.Count} tensors but the gradient {_gradients.Count}.", nameof(gradient));
        }

        for (int i = 0; i < _parameters.Count; i++)
        {
            if (!_parameters[i].Value.Shape.SequenceEqual(_gradients[i].Value.Shape))
            {
                throw new ArgumentException($"The gradient of {_parameters[i].Name} has shape {_gradients[i].Value.ShapeText}, the parameter {_parameters[i].Value.ShapeText}.", nameof(gradient));
            }
        }
    }

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Epochs completed (also those before a resume).</summary>
    public int Epoch => _epoch;

    /// <summary>Optimizer steps taken; a stable per-batch seed for dropout.</summary>
    public long Steps => _steps;

    /// <summary>Metrics of the completed epochs.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>Raised after every mini-batch.</summary>
    public event Action<BatchProgress>? BatchEnded;

    /// <summary>Raised after every epoch, once its metrics are known and its checkpoint is written.</summary>
    public event Action<EpochMetrics>? EpochEnded;

    /// <summary>
    /// Raised when a checkpoint that <see cref="Fit"/> writes (after an epoch, or on cancellation) cannot be written
    /// (a full disk, a folder removed or made read-only): with a handler, training goes on and the model stays in
    /// memory to be saved elsewhere; without one, <see cref="Fit"/> throws the <see cref="IOException"/>.
    /// </summary>
    public event Action<string, Exception>? CheckpointFailed;

    /// <summary>
    /// Trains until <see cref="TrainerOptions.Epochs"/>, early stopping, a flat loss or cancellation (checked after
    /// every batch; a checkpoint is saved then when <see cref="TrainerOptions.CheckpointPath"/> is set). With
    /// <see cref="TrainerOptions.RestoreBest"/> the model ends with the best epoch's parameters (not when cancelled:
    /// then it keeps the current ones, which a resume continues from).
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss, a gradient or a parameter became NaN or infinite.</exception>
    public TrainingResult Fit(LabeledData train, LabeledData? validation = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
        {
            throw new ArgumentException("The training data is empty.", nameof(train));
        }

        if (_trainRows is { } rows && rows != train.Count)
        {
            throw new ArgumentException($"The checkpoint was written while training on {rows} rows; this data has {train.Count}. Resume with the same data.", nameof(train));
        }

        _trainRows = train.Count;
        float[] features = ToFloat(train.Features);
        int featureCount = train.FeatureCount;
        LabeledData trainSample = Sample(train, Options.TrainMetricRows, Options.Seed);
        int batches = (train.Count + Options.BatchSize - 1) / Options.BatchSize;
        int[] order = new int[train.Count];
        long rowsTrained = 0;
        double trainingSeconds = 0;
        StopReason reason = StopReason.Completed;

        while (_epoch < Options.Epochs)
        {
            int epoch = _epoch + 1;
            var epochClock = Stopwatch.StartNew();
            if (Options.Schedule is { } schedule)
            {
                _optimizer.LearningRate = schedule.Rate(_epoch);
            }
            else if (Options.Plateau is { } plateau)
            {
                _optimizer.LearningRate = plateau.Rate;
            }

            Permutation(order, Options.Seed, epoch);
            long epochRows = 0;
            for (int b = _batchInEpoch; b < batches; b++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    reason = StopReason.Cancelled;
                    break;
                }

                int start = b * Options.BatchSize;
                int count = Math.Min(Options.BatchSize, train.Count - start);
                int[] labels = FillBatch(features, featureCount, train.Labels, order.AsSpan(start, count));
                float loss = _lossGradient(_batch!, labels, _gradient);
                CheckBatch(loss, epoch, b + 1, batches);
                _step(_optimizer, _gradient);
                _steps++;
                UpdateEma();
                _epochLossSum += loss;
                _epochBatches++;
                _batchInEpoch = b + 1;
                epochRows += count;
                BatchEnded?.Invoke(new BatchProgress(epoch, b + 1, batches, loss, _epochLossSum / _epochBatches, _steps));
            }

            double batchSeconds = epochClock.Elapsed.TotalSeconds;
            rowsTrained += epochRows;
            trainingSeconds += batchSeconds;
            if (reason == StopReason.Cancelled)
            {
                break;
            }

            if (TensorSetExtensions.FirstNonFinite(_parameters) is { } bad)
            {
                throw Diverged(epoch, 0, bad, $"the parameter {bad} holds NaN or infinity after the epoch's updates");
            }

            (double trainLoss, double trainAccuracy) = EvaluateCurrent(trainSample);
            (double validationLoss, double validationAccuracy) = validation is null ? (double.NaN, double.NaN) : EvaluateCurrent(validation);
            double batchLoss = _epochLossSum / Math.Max(1, _epochBatches);
            var metrics = new EpochMetrics(epoch, batchLoss, trainLoss, trainAccuracy, validationLoss, validationAccuracy, _optimizer.LearningRate, epochClock.Elapsed.TotalSeconds, epochRows / Math.Max(1e-9, batchSeconds));
            _history.Add(metrics);

            double monitored = validation is null ? trainLoss : validationLoss;
            if (monitored < _bestLoss - Options.MinDelta)
            {
                _bestLoss = monitored;
                _bestEpoch = epoch;
                _sinceBest = 0;
                if (Options.RestoreBest)
                {
                    _best ??= Allocate();
                    CopyEvaluationParameters(_best);
                }
            }
            else
            {
                _sinceBest++;
            }

            Options.Plateau?.Observe(monitored);
            if (Options.Snapshots > 0 && epoch % Options.SnapshotEvery == 0)
            {
                Tensor[] snapshot = _snapshots.Count == Options.Snapshots ? _snapshots[0] : Allocate();
                _snapshots.Remove(snapshot);
                CopyEvaluationParameters(snapshot);
                _snapshots.Add(snapshot);
            }

            bool flat = Options.FlatTolerance is { } tolerance && !double.IsNaN(_lastBatchLoss) && Math.Abs(batchLoss - _lastBatchLoss) <= tolerance * Math.Max(1, Math.Abs(batchLoss));
            _flatEpochs = flat ? _flatEpochs + 1 : 0;
            _lastBatchLoss = batchLoss;
            _epoch = epoch;
            _batchInEpoch = 0;
            _epochLossSum = 0;
            _epochBatches = 0;
            if (Options.CheckpointPath is { } path)
            {
                TrySaveCheckpoint(path);
            }

            EpochEnded?.Invoke(metrics);
            if (Options.Patience is { } patience && _sinceBest >= patience)
            {
                reason = StopReason.EarlyStopped;
                break;
            }

            if (_flatEpochs >= Options.FlatPatience)
            {
                reason = StopReason.LossFlat;
                break;
            }
        }

        if (reason == StopReason.Cancelled)
        {
            if (Options.CheckpointPath is { } path)
            {
                TrySaveCheckpoint(path);
            }
        }
        else if (Options.RestoreBest && _best is not null)
        {
            Restore(_best);
        }
        else if (_ema is not null && _emaStarted)
        {
            Restore(_ema); // with EMA on, the averaged parameters are the result
        }

        return new TrainingResult(_history.ToArray(), _bestEpoch, _bestLoss, reason, _steps, rowsTrained / Math.Max(1e-9, trainingSeconds));
    }

    /// <summary>Mean softmax cross-entropy and accuracy of the model's logits over <paramref name="data"/> (the current parameters).</summary>
    public (double Loss, double Accuracy) Evaluate(LabeledData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double loss = 0;
        int correct = 0;
        ForEachLogitRow(data, (row, scores) =>
        {
            (double rowLoss, int predicted) = CrossEntropy(scores, data.Labels[row]);
            loss += rowLoss;
            correct += predicted == data.Labels[row] ? 1 : 0;
        });
        return (loss / Math.Max(1, data.Count), (double)correct / Math.Max(1, data.Count));
    }

    /// <summary>The most likely class of every row (the current parameters).</summary>
    public int[] Predict(LabeledData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] predicted = new int[data.Count];
        ForEachLogitRow(data, (row, scores) => predicted[row] = CrossEntropy(scores, 0).Predicted);
        return predicted;
    }

    /// <summary>Snapshots kept for ensembling (oldest first).</summary>
    public int SnapshotCount => _snapshots.Count;

    /// <summary>
    /// Snapshot ensemble (Huang et al., 2017): the class whose probability, averaged over the kept snapshots'
    /// softmax outputs, is highest. Needs <see cref="TrainerOptions.Snapshots"/>; the model's parameters are left as they were.
    /// </summary>
    public int[] PredictEnsemble(LabeledData data) => Ensemble(data).Predicted;

    /// <summary>Cross-entropy of the averaged probabilities and accuracy of <see cref="PredictEnsemble"/>.</summary>
    public (double Loss, double Accuracy) EvaluateEnsemble(LabeledData data)
    {
        (double loss, int[] predicted) = Ensemble(data);
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            correct += predicted[i] == data.Labels[i] ? 1 : 0;
        }

        return (loss, (double)correct / Math.Max(1, data.Count));
    }

    private (double Loss, int[] Predicted) Ensemble(LabeledData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_snapshots.Count == 0)
        {
            throw new InvalidOperationException("No snapshots to ensemble: set TrainerOptions.Snapshots and train first.");
        }

        double[]? probabilities = null;
        int classes = 0;
        _backup ??= Allocate();
        Copy(_parameters, _backup);
        try
        {
            foreach (Tensor[] snapshot in _snapshots)
            {
                Restore(snapshot);
                ForEachLogitRow(data, (row, scores) =>
                {
                    classes = scores.Length;
                    probabilities ??= new double[data.Count * classes];
                    (int best, double sum) = Softmax(scores);
                    double max = scores[best];
                    for (int k = 0; k < classes; k++)
                    {
                        probabilities[row * classes + k] += Math.Exp(scores[k] - max) / sum / _snapshots.Count;
                    }
                });
            }
        }
        finally
        {
            Restore(_backup);
        }

        int[] predicted = new int[data.Count];
        double loss = 0;
        for (int row = 0; row < data.Count; row++)
        {
            ReadOnlySpan<double> p = probabilities.AsSpan(row * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
            {
                best = p[k] > p[best] ? k : best;
            }

            predicted[row] = best;
            loss -= Math.Log(Math.Max(p[data.Labels[row]], 1e-300));
        }

        return (loss / Math.Max(1, data.Count), predicted);
    }

    /// <summary>
    /// Writes the model, the optimizer state, the run's position (epoch, batch, step), early-stopping state, the best
    /// and EMA parameters and the history: <see cref="Resume"/> continues from it exactly.
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        var sections = new Dictionary<string, byte[]>
        {
            [TrainerSection] = Bytes(WriteState),
            [OptimizerSection] = Bytes(_optimizer.SaveState),
        };
        if (_best is not null)
        {
            sections[BestSection] = Bytes(w => Checkpoint.WriteTensors(w, Named(_best)));
        }

        if (_ema is not null && _emaStarted)
        {
            sections[EmaSection] = Bytes(w => Checkpoint.WriteTensors(w, Named(_ema)));
        }

        if (_snapshots.Count > 0)
        {
            sections[SnapshotSection] = Bytes(w =>
            {
                w.Write(_snapshots.Count);
                foreach (Tensor[] snapshot in _snapshots)
                {
                    Checkpoint.WriteTensors(w, Named(snapshot));
                }
            });
        }

        Checkpoint.Save(path, _model, new CheckpointInfo(_epoch, _steps), sections);
        _checkpointWritten = Path.GetFullPath(path);
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

        Tensor[]? best = file.Sections.TryGetValue(BestSection, out byte[]? bestBytes) ? ReadTensors(path, bestBytes, "best parameters") : null;
        Tensor[]? ema = file.Sections.TryGetValue(EmaSection, out byte[]? emaBytes) ? ReadTensors(path, emaBytes, "averaged parameters") : null;
        var snapshots = new List<Tensor[]>();
        if (file.Sections.TryGetValue(SnapshotSection, out byte[]? snapshotBytes))
        {
            var reader = new BinaryReader(new MemoryStream(snapshotBytes), Encoding.UTF8);
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

        Action apply;
        try
        {
            apply = ReadState(new BinaryReader(new MemoryStream(state)), path);
            _optimizer.LoadState(new BinaryReader(new MemoryStream(optimizer)));
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException($"{path}: {e.Message}.");
        }

        apply();
        file.CopyTensorsTo(_model);
        _checkpointWritten = Path.GetFullPath(path);
        _best = best;
        _ema = ema;
        _emaStarted = ema is not null;
        _snapshots.Clear();
        _snapshots.AddRange(snapshots);
        return file.Info;
    }

    private void CheckBatch(float loss, int epoch, int batch, int batches)
    {
        if (!float.IsFinite(loss))
        {
            throw Diverged(epoch, batch, null, $"the loss is {loss} in batch {batch} of {batches}");
        }

        if (TensorSetExtensions.FirstNonFinite(_gradients) is { } bad)
        {
            throw Diverged(epoch, batch, bad, $"the gradient of {bad} holds NaN or infinity in batch {batch} of {batches} (loss {loss})");
        }
    }

    private TrainingDivergedException Diverged(int epoch, int batch, string? tensor, string what)
    {
        // Only a checkpoint of this run (written by it, or the one it resumed from): a file left at that path by
        // another run proves nothing.
        string checkpoint = _checkpointWritten is { } written && File.Exists(written)
            ? $" The last checkpoint ({written}) is intact."
            : string.Empty;
        string kept = batch > 0 ? "the parameters from before this batch" : "the diverged parameters (restore a checkpoint)";
        return new TrainingDivergedException(
            $"Training diverged in epoch {epoch}: {what}. The model keeps {kept}; the update was not applied.{checkpoint} Try a smaller learning rate or gradient clipping (ClipNorm).",
            epoch, batch, tensor);
    }

    // Full path of the last checkpoint this trainer wrote or resumed from; null when none.
    private string? _checkpointWritten;

    private int[] FillBatch(float[] features, int featureCount, int[] allLabels, ReadOnlySpan<int> rows)
    {
        _batch = Tensor.Reuse(_batch, rows.Length, featureCount);
        ref int[] labels = ref rows.Length == Options.BatchSize ? ref _labels : ref _tailLabels;
        if (labels.Length != rows.Length)
        {
            labels = new int[rows.Length];
        }

        Span<float> x = _batch.Span;
        for (int r = 0; r < rows.Length; r++)
        {
            features.AsSpan(rows[r] * featureCount, featureCount).CopyTo(x.Slice(r * featureCount, featureCount));
            labels[r] = allLabels[rows[r]];
        }

        return labels;
    }

    private void StepEachTensor(Optimizer optimizer, TGradient gradient)
    {
        double squared = 0;
        if (optimizer.ClipNorm is not null)
        {
            foreach (NamedTensor g in _gradients)
            {
                squared += g.Value.SquaredNorm();
            }
        }

        optimizer.BeginStep(Math.Sqrt(squared));
        for (int i = 0; i < _parameters.Count; i++)
        {
            optimizer.Step<float>(_parameters[i].Value.Span, _gradients[i].Value.Span, i);
        }

        optimizer.EndStep();
    }

    private void UpdateEma()
    {
        if (Options.EmaDecay is not { } decay)
        {
            return;
        }

        _ema ??= Allocate();
        for (int i = 0; i < _parameters.Count; i++)
        {
            Span<float> average = _ema[i].Span;
            ReadOnlySpan<float> current = _parameters[i].Value.Span;
            if (!_emaStarted)
            {
                current.CopyTo(average);
            }
            else
            {
                TensorPrimitives.Lerp(average, current, (float)(1 - decay), average); // avg + (θ - avg)(1 - d)
            }
        }

        _emaStarted = true;
    }

    /// <summary>Evaluates with the EMA parameters when enabled, else the current ones.</summary>
    private (double Loss, double Accuracy) EvaluateCurrent(LabeledData data)
    {
        if (_ema is null || !_emaStarted)
        {
            return Evaluate(data);
        }

        _backup ??= Allocate();
        Copy(_parameters, _backup);
        Restore(_ema);
        try
        {
            return Evaluate(data);
        }
        finally
        {
            Restore(_backup);
        }
    }

    private void CopyEvaluationParameters(Tensor[] into)
    {
        if (_ema is not null && _emaStarted)
        {
            for (int i = 0; i < into.Length; i++)
            {
                _ema[i].CopyTo(into[i]);
            }
        }
        else
        {
            Copy(_parameters, into);
        }
    }

    private void ForEachLogitRow(LabeledData data, Action<int, ReadOnlySpan<float>> onRow)
    {
        Tensor? x = null;
        for (int start = 0; start < data.Count; start += Options.EvaluationBatchSize)
        {
            int count = Math.Min(Options.EvaluationBatchSize, data.Count - start);
            x = Tensor.Reuse(x, count, data.FeatureCount);
            Span<float> span = x.Span;
            ReadOnlySpan<double> source = data.Features.AsSpan(start * data.FeatureCount, count * data.FeatureCount);
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = (float)source[i];
            }

            Tensor logits = _logits(x);
            if (logits.Rank != 2 || logits.Rows != count)
            {
                throw new InvalidOperationException($"The logits function returned shape {logits.ShapeText} for {count} rows; expected ({count}, classes).");
            }

            for (int r = 0; r < count; r++)
            {
                onRow(start + r, logits.Span.Slice(r * logits.Columns, logits.Columns));
            }
        }
    }

    /// <summary>-log softmax(scores)[label] (stable) and the arg-max.</summary>
    private static (double Loss, int Predicted) CrossEntropy(ReadOnlySpan<float> scores, int label)
    {
        (int best, double sum) = Softmax(scores);
        double max = scores[best];
        double loss = (uint)label < (uint)scores.Length ? Math.Log(sum) + max - scores[label] : double.NaN;
        return (loss, best);
    }

    /// <summary>The arg-max and Σ exp(sᵢ - max): softmax(s)ᵢ = exp(sᵢ - max) / sum, stable for any scale.</summary>
    private static (int ArgMax, double Sum) Softmax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int k = 1; k < scores.Length; k++)
        {
            if (scores[k] > scores[best])
            {
                best = k;
            }
        }

        double sum = 0;
        foreach (float s in scores)
        {
            sum += Math.Exp(s - scores[best]);
        }

        return (best, sum);
    }

    /// <summary>Fills <paramref name="order"/> with the permutation of epoch <paramref name="epoch"/>: a function of (seed, epoch) only.</summary>
    private static void Permutation(int[] order, int seed, int epoch)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        new Random(unchecked((seed * 1_000_003) ^ (epoch * 7919))).Shuffle(order);
    }

    private static LabeledData Sample(LabeledData data, int rows, int seed)
    {
        if (data.Count <= rows)
        {
            return data;
        }

        int[] order = new int[data.Count];
        Permutation(order, seed, 0);
        return data.Select(order.AsSpan(0, rows));
    }

    private static float[] ToFloat(double[] values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = (float)values[i];
        }

        return result;
    }

    private Tensor[] Allocate() => _parameters.ConvertAll(p => Tensor.ZerosLike(p.Value)).ToArray();

    private static void Copy(List<NamedTensor> from, Tensor[] to)
    {
        for (int i = 0; i < to.Length; i++)
        {
            from[i].Value.CopyTo(to[i]);
        }
    }

    private void Restore(Tensor[] from)
    {
        for (int i = 0; i < from.Length; i++)
        {
            from[i].CopyTo(_parameters[i].Value);
        }
    }

    private List<NamedTensor> Named(Tensor[] tensors)
    {
        var list = new List<NamedTensor>(tensors.Length);
        for (int i = 0; i < tensors.Length; i++)
        {
            list.Add(new NamedTensor(_parameters[i].Name, tensors[i]));
        }

        return list;
    }

    private Tensor[] ReadTensors(string path, byte[] bytes, string what) => ReadTensors(path, new BinaryReader(new MemoryStream(bytes), Encoding.UTF8), what);

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
        Tensor[] tensors = Allocate();
        for (int i = 0; i < tensors.Length; i++)
        {
            stored[i].Values.CopyTo(tensors[i].Span);
        }

        return tensors;
    }

    private static byte[] Bytes(Action<BinaryWriter> write)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            write(writer);
        }

        return stream.ToArray();
    }

    private void WriteState(BinaryWriter w)
    {
        w.Write(StateVersion);
        w.Write(Options.Seed);
        w.Write(Options.BatchSize);
        w.Write(_trainRows ?? -1);
        w.Write(_epoch);
        w.Write(_batchInEpoch);
        w.Write(_steps);
        w.Write(_epochLossSum);
        w.Write(_epochBatches);
        w.Write(_bestLoss);
        w.Write(_bestEpoch);
        w.Write(_sinceBest);
        w.Write(_flatEpochs);
        w.Write(_lastBatchLoss);
        (double plateauBest, int plateauBad, double plateauRate) = Options.Plateau?.State ?? (double.NaN, 0, double.NaN);
        w.Write(plateauBest);
        w.Write(plateauBad);
        w.Write(plateauRate);
        w.Write(_history.Count);
        foreach (EpochMetrics m in _history)
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

    /// <summary>Parses the trainer section; returns the action that applies it (run only once everything else has been verified).</summary>
    private Action ReadState(BinaryReader r, string path)
    {
        try
        {
            int version = r.ReadInt32();
            if (version != StateVersion)
            {
                throw new InvalidDataException($"trainer state version {version}; this library reads {StateVersion}");
            }

            int seed = r.ReadInt32(), batchSize = r.ReadInt32(), rows = r.ReadInt32();
            if (seed != Options.Seed || batchSize != Options.BatchSize)
            {
                throw new InvalidDataException($"written with seed {seed} and batch size {batchSize}, but this trainer uses seed {Options.Seed} and batch size {Options.BatchSize}: the batches would differ; resume with the same options");
            }

            int epoch = r.ReadInt32(), batchInEpoch = r.ReadInt32();
            long steps = r.ReadInt64();
            double epochLossSum = r.ReadDouble();
            int epochBatches = r.ReadInt32();
            double bestLoss = r.ReadDouble();
            int bestEpoch = r.ReadInt32(), sinceBest = r.ReadInt32(), flatEpochs = r.ReadInt32();
            double lastBatchLoss = r.ReadDouble();
            (double, int, double) plateau = (r.ReadDouble(), r.ReadInt32(), r.ReadDouble());
            int count = r.ReadInt32();
            var history = new List<EpochMetrics>();
            for (int i = 0; i < count; i++)
            {
                history.Add(new EpochMetrics(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble()));
            }

            return () =>
            {
                _trainRows = rows < 0 ? null : rows;
                (_epoch, _batchInEpoch, _steps, _epochLossSum, _epochBatches) = (epoch, batchInEpoch, steps, epochLossSum, epochBatches);
                (_bestLoss, _bestEpoch, _sinceBest, _flatEpochs, _lastBatchLoss) = (bestLoss, bestEpoch, sinceBest, flatEpochs, lastBatchLoss);
                _history.Clear();
                _history.AddRange(history);
                if (Options.Plateau is { } reducer && !double.IsNaN(plateau.Item3))
                {
                    reducer.State = plateau;
                }
            };
        }
        catch (EndOfStreamException)
        {
            throw new CheckpointException($"{path}: the trainer section is malformed.");
        }
    }
}
