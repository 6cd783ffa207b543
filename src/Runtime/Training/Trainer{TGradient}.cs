using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Numerics.Tensors;
using System.Text;
using System.Threading;
using Autodiff.Data;
using Autodiff.Kernels;
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
public sealed partial class Trainer<TGradient>
    where TGradient : ITensorSet
{
    private readonly ITensorSet _model;
    private readonly TGradient _gradient;
    private readonly Optimizer _optimizer;
    private readonly BatchLossGradient<TGradient> _lossGradient;
    private readonly Func<Tensor, Tensor> _logits;
    private readonly Action<Optimizer, TGradient> _step;
    private readonly List<NamedTensor> _parameters;
    private readonly List<NamedTensor> _gradients;
    private readonly ParameterAveraging _copies;
    private TrainerState _state;

    private Tensor? _batch;
    private int[] _labels = Array.Empty<int>();
    private int[] _tailLabels = Array.Empty<int>();

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

        _copies = new ParameterAveraging(_parameters);
        _state = new TrainerState(Options);
    }

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Epochs completed (also those before a resume).</summary>
    public int Epoch => _state.Epoch;

    /// <summary>Optimizer steps taken; a stable per-batch seed for dropout.</summary>
    public long Steps => _state.Steps;

    /// <summary>Metrics of the completed epochs.</summary>
    public IReadOnlyList<EpochMetrics> History => _state.History;

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

        if (_state.TrainRows is { } rows && rows != train.Count)
        {
            throw new ArgumentException($"The checkpoint was written while training on {rows} rows; this data has {train.Count}. Resume with the same data.", nameof(train));
        }

        _state.TrainRows = train.Count;
        float[] features = ToFloat(train.Features);
        LabeledData trainSample = Sample(train, Options.TrainMetricRows, Options.Seed);
        int batches = (train.Count + Options.BatchSize - 1) / Options.BatchSize;
        int[] order = new int[train.Count];
        long rowsTrained = 0;
        double trainingSeconds = 0;
        StopReason? reason = null;
        double warmUpSeconds = Options.WarmUp && _state.Epoch < Options.Epochs ? WarmUp(features, train) : 0;
        while (_state.Epoch < Options.Epochs && reason is null)
        {
            int epoch = _state.Epoch + 1;
            var epochClock = Stopwatch.StartNew();
            SetLearningRate();
            Permutation(order, Options.Seed, epoch);
            long epochRows = 0;
            for (int b = _state.BatchInEpoch; b < batches && reason is null; b++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    reason = StopReason.Cancelled;
                    break;
                }

                int start = b * Options.BatchSize;
                int count = Math.Min(Options.BatchSize, train.Count - start);
                TrainBatch(features, train, order.AsSpan(start, count), epoch, b + 1, batches);
                epochRows += count;
            }

            double batchSeconds = epochClock.Elapsed.TotalSeconds;
            rowsTrained += epochRows;
            trainingSeconds += batchSeconds;
            if (reason is null)
            {
                EpochMetrics metrics = EndEpoch(epoch, trainSample, validation, epochClock, epochRows / Math.Max(1e-9, batchSeconds));
                EpochEnded?.Invoke(metrics);
                reason = _state.Stopping.Reason;
            }
        }

        if (reason == StopReason.Cancelled)
        {
            if (Options.CheckpointPath is { } path)
            {
                TrySaveCheckpoint(path);
            }
        }
        else if (Options.RestoreBest && _copies.Best is not null)
        {
            _copies.Restore(_copies.Best);
        }
        else if (_copies.Ema is not null)
        {
            _copies.Restore(_copies.Ema); // with EMA on, the averaged parameters are the result
        }

        return new TrainingResult(_state.History.ToArray(), _state.Stopping.BestEpoch, _state.Stopping.BestLoss, reason ?? StopReason.Completed, _state.Steps, rowsTrained / Math.Max(1e-9, trainingSeconds))
        {
            WarmUpSeconds = warmUpSeconds,
        };
    }

    private void SetLearningRate()
    {
        if (Options.Schedule is { } schedule)
        {
            _optimizer.LearningRate = schedule.Rate(_state.Epoch);
        }
        else if (Options.Plateau is { } plateau)
        {
            _optimizer.LearningRate = plateau.Rate;
        }
    }

    /// <summary>
    /// One whole step (gather, loss and gradient, divergence check, update) on the first rows, undone afterwards: the
    /// parameters are copied back and the optimizer's state restored from what <see cref="Optimizer.SaveState"/> wrote
    /// (exact, as a resume is), so the run is bitwise the one without it. It compiles the step's code before the first
    /// epoch's clock starts: epoch 1 then measures training, not the JIT. Returns its seconds.
    /// </summary>
    private double WarmUp(float[] features, LabeledData train)
    {
        var clock = Stopwatch.StartNew();
        byte[] optimizerState = Bytes(_optimizer.SaveState);
        int[] rows = new int[Math.Min(Options.BatchSize, train.Count)];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = r;
        }

        try
        {
            // Also when the step throws (the first real step then throws the same, with the model untouched).
            _copies.Undone(() =>
            {
                int[] labels = FillBatch(features, train.FeatureCount, train.Labels, rows);
                _lossGradient(_batch!, labels, _gradient);
                _ = TensorSetExtensions.FirstNonFinite(_gradients);
                _step(_optimizer, _gradient);
                return true;
            });
        }
        finally
        {
            _optimizer.LoadState(Reader(optimizerState));
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>One step exactly as <see cref="Fit"/> takes it (gather, loss and gradient, divergence check, update,
    /// EMA) on <paramref name="rows"/> of <paramref name="train"/>, whose features <see cref="ToFloat"/> converted: for the
    /// training-step benchmarks.</summary>
    internal void TrainStep(float[] features, LabeledData train, ReadOnlySpan<int> rows) => TrainBatch(features, train, rows, 1, 1, 1);

    // Loss and gradient of one batch, the divergence guard, the step and the EMA.
    private void TrainBatch(float[] features, LabeledData train, ReadOnlySpan<int> rows, int epoch, int batch, int batches)
    {
        int[] labels = FillBatch(features, train.FeatureCount, train.Labels, rows);
        float loss = _lossGradient(_batch!, labels, _gradient);
        CheckBatch(loss, epoch, batch, batches);
        _step(_optimizer, _gradient);
        _state.EndBatch(batch, loss);
        if (Options.EmaDecay is { } decay)
        {
            _copies.UpdateEma(decay);
        }

        BatchEnded?.Invoke(new BatchProgress(epoch, batch, batches, loss, _state.EpochLoss, _state.Steps));
    }

    // After an epoch's batches: the metrics, early stopping, best and snapshot copies, the plateau and the checkpoint.
    private EpochMetrics EndEpoch(int epoch, LabeledData trainSample, LabeledData? validation, Stopwatch clock, double samplesPerSecond)
    {
        if (TensorSetExtensions.FirstNonFinite(_parameters) is { } bad)
        {
            throw Diverged(epoch, 0, bad, $"the parameter {bad} holds NaN or infinity after the epoch's updates");
        }

        (double trainLoss, double trainAccuracy) = _copies.Evaluated(() => Evaluate(trainSample));
        (double validationLoss, double validationAccuracy) = validation is null ? (double.NaN, double.NaN) : _copies.Evaluated(() => Evaluate(validation));
        double batchLoss = _state.EpochLoss;
        var metrics = new EpochMetrics(epoch, batchLoss, trainLoss, trainAccuracy, validationLoss, validationAccuracy, _optimizer.LearningRate, clock.Elapsed.TotalSeconds, samplesPerSecond);
        _state.History.Add(metrics);
        double monitored = validation is null ? trainLoss : validationLoss;
        if (_state.Stopping.Observe(epoch, monitored, batchLoss) && Options.RestoreBest)
        {
            _copies.KeepBest();
        }

        Options.Plateau?.Observe(monitored);
        if (Options.Snapshots > 0 && epoch % Options.SnapshotEvery == 0)
        {
            _copies.TakeSnapshot(Options.Snapshots);
        }

        _state.EndEpoch(epoch);
        if (Options.CheckpointPath is { } path)
        {
            TrySaveCheckpoint(path);
        }

        return metrics;
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

    private int[] FillBatch(float[] features, int featureCount, int[] allLabels, ReadOnlySpan<int> rows)
    {
        _batch = Tensor.Reuse(_batch, rows.Length, featureCount);
        ref int[] labels = ref rows.Length == Options.BatchSize ? ref _labels : ref _tailLabels;
        if (labels.Length != rows.Length)
        {
            labels = new int[rows.Length];
        }

        for (int r = 0; r < rows.Length; r++)
        {
            labels[r] = allLabels[rows[r]];
        }

        // The rows' features, gathered on all kernel threads: rows scattered over the data set wait on memory, so a
        // quarter of the elementwise grain makes a part (a batch of 256 MNIST images is 800 KB).
        unsafe
        {
            fixed (float* from = features, to = _batch.Span)
            fixed (int* picked = rows)
            {
                Ranges.Run(new Gather(from, picked, to, featureCount), rows.Length, Math.Max(1, Ranges.ElementGrain / 4 / Math.Max(1, featureCount)), 1);
            }
        }

        return labels;
    }

    private readonly unsafe struct Gather(float* features, int* rows, float* batch, int featureCount) : IRangeKernel
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                new ReadOnlySpan<float>(features + (long)rows[r] * featureCount, featureCount).CopyTo(new Span<float>(batch + (long)r * featureCount, featureCount));
            }
        }
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

    internal static float[] ToFloat(double[] values)
    {
        var result = new float[values.Length];
        TensorPrimitives.ConvertTruncating<double, float>(values, result);
        return result;
    }
}
