using Autodiff;
using Autodiff.Data;
using Autodiff.Optimizers;
using Autodiff.Training;

namespace Digits;

/// <summary>Settings of a training run (the command-line flags).</summary>
public sealed record TrainingOptions
{
    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 2e-3;
    public int Epochs { get; init; } = 60;
    public int BatchSize { get; init; } = 32;
    public int Hidden { get; init; } = 256;
    public int Seed { get; init; } = 1;
    public int Patience { get; init; } = 10;
    public double ValidationFraction { get; init; } = 0.1;
    public bool Standardize { get; init; } = true;
    /// <summary>Add copies of the training images shifted by one pixel each way (5x the data; +0.7 points on MNIST).</summary>
    public bool Augment { get; init; } = true;
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>"none", "cosine" (to 0 over --epochs) or "step" (x0.1 every third of --epochs).</summary>
    public string Schedule { get; init; } = "none";
    /// <summary>Kernel threads; default: the physical cores (<see cref="Tensor.PhysicalCores"/>).</summary>
    public int Threads { get; init; } = Tensor.PhysicalCores;
    public string? OutputDirectory { get; init; }
    public string? DataPath { get; init; }
    /// <summary>Checkpoint written after every epoch and on Ctrl+C (parameters, optimizer state, position).</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>Continue from this checkpoint (same data and options).</summary>
    public string? ResumePath { get; init; }
}

/// <summary>What a run produced.</summary>
/// <param name="Model">The trained model (best validation epoch restored).</param>
/// <param name="Training">History, best epoch, why it stopped, throughput.</param>
/// <param name="TestAccuracy">Accuracy on the test set (NaN when cancelled).</param>
/// <param name="Confusion">Test confusion matrix, rows = true digit.</param>
public sealed record DigitsResult(DigitsModel Model, TrainingResult Training, double TestAccuracy, int[,] Confusion);

/// <summary>
/// The main job: standardises and augments the data, builds the tensor <see cref="DigitsModel"/> and trains it
/// with the library's <see cref="Trainer{TGradient}"/> on the generated <c>LossGradient</c> and fused <c>Step</c>.
/// Deterministic for a seed and thread count.
/// </summary>
public static class DigitsTrainer
{
    /// <summary>Trains and tests; <paramref name="configure"/> may subscribe to the trainer's events.</summary>
    public static DigitsResult Train(LabeledData trainAll, LabeledData test, TrainingOptions options, Action<Trainer<DigitsModel.Gradient>>? configure = null, CancellationToken cancellation = default)
    {
        (LabeledData train, LabeledData validation) = trainAll.Split(options.ValidationFraction, options.Seed);
        if (options.Augment)
        {
            train = Shifted(train);
        }

        if (options.Standardize)
        {
            // Zero mean, unit variance per pixel, with statistics of the training split only.
            (double[] mean, double[] scale) = Statistics(train);
            train = Standardized(train, mean, scale);
            validation = Standardized(validation, mean, scale);
            test = Standardized(test, mean, scale);
        }

        Tensor.Threads = Math.Max(1, options.Threads);
        var model = new DigitsModel(train.FeatureCount, options.Hidden, options.Seed);
        LearningRateSchedule? schedule = options.Schedule.ToLowerInvariant() switch
        {
            "none" => null,
            "cosine" => new CosineDecay(options.LearningRate, options.Epochs),
            "step" => new StepDecay(options.LearningRate, Math.Max(1, options.Epochs / 3)),
            _ => throw new ArgumentException($"Unknown schedule '{options.Schedule}'; use none, cosine or step."),
        };
        Optimizer optimizer = CreateOptimizer(options);
        var trainer = new Trainer<DigitsModel.Gradient>(
            model, model.CreateGradient(), optimizer,
            lossGradient: model.LossGradient, logits: model.Forward, step: model.Step,
            new TrainerOptions
            {
                Epochs = options.Epochs,
                BatchSize = options.BatchSize,
                Seed = options.Seed,
                Patience = options.Patience,
                MinDelta = 1e-4,
                Schedule = schedule,
                CheckpointPath = options.CheckpointPath,
            });
        if (options.ResumePath is { } resume)
        {
            trainer.Resume(resume);

            // The checkpoint restores the rate it was saved with; these options' rate applies from here (a schedule sets
            // it every step from its own base rate), as the weight decay and schedule of these options already do.
            if (schedule is null)
            {
                optimizer.LearningRate = options.LearningRate;
            }
        }

        configure?.Invoke(trainer);
        TrainingResult result = trainer.Fit(train, validation, cancellation);
        if (result.StopReason == StopReason.Cancelled)
        {
            return new DigitsResult(model, result, double.NaN, new int[DigitsModel.Classes, DigitsModel.Classes]);
        }

        int[] predicted = trainer.Predict(test);
        var confusion = new int[DigitsModel.Classes, DigitsModel.Classes];
        int correct = 0;
        for (int n = 0; n < test.Count; n++)
        {
            confusion[test.Labels[n], predicted[n]]++;
            correct += predicted[n] == test.Labels[n] ? 1 : 0;
        }

        return new DigitsResult(model, result, (double)correct / test.Count, confusion);
    }

    /// <summary>
    /// The training images plus copies shifted by one pixel up, down, left and right (zero fill): the same
    /// digit a little off-centre, which the test writers produce too. Square images only; others are kept as is.
    /// </summary>
    public static LabeledData Shifted(LabeledData data)
    {
        int side = (int)Math.Round(Math.Sqrt(data.FeatureCount));
        if (side * side != data.FeatureCount)
        {
            return data;
        }

        (int Dx, int Dy)[] shifts = { (0, 0), (1, 0), (-1, 0), (0, 1), (0, -1) };
        var features = new double[data.Features.Length * shifts.Length];
        var labels = new int[data.Count * shifts.Length];
        for (int n = 0; n < data.Count; n++)
        {
            ReadOnlySpan<double> image = data.Row(n);
            for (int s = 0; s < shifts.Length; s++)
            {
                int row = s * data.Count + n;
                labels[row] = data.Labels[n];
                Span<double> target = features.AsSpan(row * data.FeatureCount, data.FeatureCount);
                for (int y = 0; y < side; y++)
                {
                    for (int x = 0; x < side; x++)
                    {
                        int sx = x - shifts[s].Dx, sy = y - shifts[s].Dy;
                        target[y * side + x] = sx >= 0 && sx < side && sy >= 0 && sy < side ? image[sy * side + sx] : 0;
                    }
                }
            }
        }

        return new LabeledData(features, labels, data.FeatureCount, data.ClassCount);
    }

    private static (double[] Mean, double[] Scale) Statistics(LabeledData data)
    {
        var mean = new double[data.FeatureCount];
        var scale = new double[data.FeatureCount];
        for (int n = 0; n < data.Count; n++)
        {
            ReadOnlySpan<double> row = data.Row(n);
            for (int i = 0; i < row.Length; i++)
            {
                mean[i] += row[i] / data.Count;
            }
        }

        for (int n = 0; n < data.Count; n++)
        {
            ReadOnlySpan<double> row = data.Row(n);
            for (int i = 0; i < row.Length; i++)
            {
                scale[i] += (row[i] - mean[i]) * (row[i] - mean[i]) / data.Count;
            }
        }

        for (int i = 0; i < scale.Length; i++)
        {
            scale[i] = 1 / Math.Sqrt(scale[i] + 1e-2); // pixels that never vary stay near 0
        }

        return (mean, scale);
    }

    private static LabeledData Standardized(LabeledData data, double[] mean, double[] scale)
    {
        var features = new double[data.Features.Length];
        for (int n = 0; n < data.Count; n++)
        {
            for (int i = 0; i < data.FeatureCount; i++)
            {
                features[n * data.FeatureCount + i] = (data.Features[n * data.FeatureCount + i] - mean[i]) * scale[i];
            }
        }

        return new LabeledData(features, data.Labels, data.FeatureCount, data.ClassCount);
    }

    /// <summary>The optimizer named by --optimizer; weight decay is decoupled for Adam/AdamW and an L2 term for SGD.</summary>
    public static Optimizer CreateOptimizer(TrainingOptions options) => options.Optimizer.ToLowerInvariant() switch
    {
        "sgd" => new Sgd(options.LearningRate, weightDecay: options.WeightDecay),
        "momentum" => new Sgd(options.LearningRate, momentum: 0.9, weightDecay: options.WeightDecay),
        "nesterov" => new Sgd(options.LearningRate, momentum: 0.9, nesterov: true, weightDecay: options.WeightDecay),
        "adagrad" => new AdaGrad(options.LearningRate),
        "rmsprop" => new RmsProp(options.LearningRate),
        "adam" => new Adam(options.LearningRate, weightDecay: options.WeightDecay),
        "adamw" => new AdamW(options.LearningRate, weightDecay: options.WeightDecay),
        _ => throw new ArgumentException($"Unknown optimizer '{options.Optimizer}'; use sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw."),
    };
}
