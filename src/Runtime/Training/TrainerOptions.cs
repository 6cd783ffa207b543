using Autodiff.Optimizers;

namespace Autodiff.Training;

/// <summary>Settings of a <see cref="Trainer{TGradient}"/> run; every one has a default.</summary>
public sealed record TrainerOptions
{
    /// <summary>Most epochs (passes over the training data).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Rows per mini-batch; the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seed of the shuffling: epoch e visits the rows in a permutation drawn from (Seed, e) alone, which is what makes a resumed run identical to an uninterrupted one.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Early stopping: stop after this many epochs without improvement of the monitored loss (validation loss, or the training loss without validation data); null: off.</summary>
    public int? Patience { get; init; }

    /// <summary>An epoch counts as an improvement only when the monitored loss drops by more than this.</summary>
    public double MinDelta { get; init; }

    /// <summary>At the end, put back the parameters of the epoch with the best monitored loss.</summary>
    public bool RestoreBest { get; init; } = true;

    /// <summary>Stop when the training loss changes by less than this (relative to max(1, |loss|)) for <see cref="FlatPatience"/> epochs in a row; null: off.</summary>
    public double? FlatTolerance { get; init; }

    /// <summary>Epochs of unchanged training loss before <see cref="FlatTolerance"/> stops the run.</summary>
    public int FlatPatience { get; init; } = 3;

    /// <summary>Learning rate per epoch (0-based); null keeps the optimizer's rate.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Reduce the learning rate when the monitored loss stops improving (observed once per epoch); null: off. Not together with <see cref="Schedule"/>.</summary>
    public ReduceOnPlateau? Plateau { get; init; }

    /// <summary>Snapshot ensembling: keep the parameters of the last this-many snapshots (0: off) for <see cref="Trainer{TGradient}.PredictEnsemble"/>, which averages their predicted probabilities.</summary>
    public int Snapshots { get; init; }

    /// <summary>Take a snapshot every this many epochs (with <see cref="CosineRestarts"/>, its period: the end of each cycle).</summary>
    public int SnapshotEvery { get; init; } = 1;

    /// <summary>Evaluate with an exponential moving average of the parameters (Polyak averaging) with this decay per step, e.g. 0.999; null: off.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Where to write a checkpoint after every epoch and when cancelled (parameters, optimizer state, position, best parameters, history); null: none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Training accuracy and loss at the end of each epoch are measured on at most this many training rows (a fixed, seeded sample).</summary>
    public int TrainMetricRows { get; init; } = 10_000;

    /// <summary>
    /// Before the first epoch, take one step on the first rows and undo it (parameters copied back, optimizer state
    /// restored exactly), so the step's code is compiled before epoch 1's clock starts; the run's result is the same
    /// bitwise. Turn it off when the loss function has side effects of its own (a call counter, say).
    /// </summary>
    public bool WarmUp { get; init; } = true;

    /// <summary>Rows per forward pass when evaluating.</summary>
    public int EvaluationBatchSize { get; init; } = 1024;
}
