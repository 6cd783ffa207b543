using System;
using System.Collections.Generic;

namespace Autodiff.Training;

/// <summary>Why a run ended.</summary>
public enum StopReason
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>The monitored loss did not improve for <see cref="TrainerOptions.Patience"/> epochs.</summary>
    EarlyStopped,

    /// <summary>The training loss stopped changing (<see cref="TrainerOptions.FlatTolerance"/>).</summary>
    LossFlat,

    /// <summary>The cancellation token fired; the run stopped after the current batch (and saved a checkpoint when configured).</summary>
    Cancelled,
}

/// <summary>Metrics of one epoch. Validation values are NaN without validation data.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="BatchLoss">Mean of the mini-batch losses during the epoch (as optimised, including any regulariser).</param>
/// <param name="TrainLoss">Cross-entropy on a fixed sample of the training rows after the epoch.</param>
/// <param name="TrainAccuracy">Accuracy on the same sample.</param>
/// <param name="ValidationLoss">Cross-entropy on the validation data.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation data.</param>
/// <param name="LearningRate">The optimizer's rate during the epoch.</param>
/// <param name="Seconds">Wall time of the epoch, evaluation included.</param>
/// <param name="SamplesPerSecond">Training rows per second of the epoch's batches (forward, backward and step).</param>
public sealed record EpochMetrics(int Epoch, double BatchLoss, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double LearningRate, double Seconds, double SamplesPerSecond);

/// <summary>Progress after one mini-batch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">This batch's loss.</param>
/// <param name="MeanLoss">Mean batch loss of the epoch so far.</param>
/// <param name="Step">Optimizer steps so far.</param>
public readonly record struct BatchProgress(int Epoch, int Batch, int Batches, double Loss, double MeanLoss, long Step);

/// <summary>What <see cref="Trainer{TGradient}.Fit"/> produced.</summary>
/// <param name="History">Metrics per completed epoch (also those before a resume).</param>
/// <param name="BestEpoch">Epoch with the best monitored loss (0 when no epoch completed).</param>
/// <param name="BestLoss">That loss.</param>
/// <param name="StopReason">Why it ended.</param>
/// <param name="Steps">Optimizer steps in total.</param>
/// <param name="SamplesPerSecond">Training rows per second over this call's batches.</param>
public sealed record TrainingResult(IReadOnlyList<EpochMetrics> History, int BestEpoch, double BestLoss, StopReason StopReason, long Steps, double SamplesPerSecond)
{
    /// <summary>Seconds of the warm-up step before the first epoch (<see cref="TrainerOptions.WarmUp"/>; 0 when off), not counted in any epoch.</summary>
    public double WarmUpSeconds { get; init; }
}

/// <summary>
/// A NaN or infinity in the loss, a gradient or the parameters. The message names the epoch, the batch and the
/// tensor; the model holds the parameters from before the batch and the last checkpoint on disk is untouched.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, int epoch, int batch, string? tensor)
        : base(message)
    {
        Epoch = epoch;
        Batch = batch;
        Tensor = tensor;
    }

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch within the epoch (0: found after the epoch).</summary>
    public int Batch { get; }

    /// <summary>Dotted name of the offending tensor, or null when the loss itself was not finite.</summary>
    public string? Tensor { get; }
}
