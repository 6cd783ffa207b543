using System.Diagnostics;
using Autodiff.Data;
using Autodiff.Optimizers;

namespace Digits;

/// <summary>Settings of a training run (the command-line flags).</summary>
public sealed record TrainingOptions
{
    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 2e-3;
    public int Epochs { get; init; } = 60;
    public int BatchSize { get; init; } = 32;
    public int Hidden { get; init; } = 128;
    public int Seed { get; init; } = 1;
    public int Patience { get; init; } = 10;
    public double ValidationFraction { get; init; } = 0.1;
    public bool Standardize { get; init; } = true;
    /// <summary>Shifted copies of the training images; null: only for small sets (under 10 000 images), where it pays.</summary>
    public bool? Augment { get; init; }
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>"none", "cosine" (to 0 over --epochs) or "step" (x0.1 every third of --epochs).</summary>
    public string Schedule { get; init; } = "none";
    public int Threads { get; init; } = Math.Min(2, Environment.ProcessorCount);
    public string? OutputDirectory { get; init; }
    public string? DataPath { get; init; }
}

/// <summary>One epoch's metrics.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

/// <summary>What a run produced.</summary>
public sealed record TrainingResult(double[] Parameters, IReadOnlyList<EpochResult> History, int BestEpoch, double TestAccuracy, int[,] Confusion, double SamplesPerSecond);

/// <summary>
/// Mini-batch training of <see cref="Mlp"/> with the generated gradient: seeded shuffling, a validation split,
/// early stopping that restores the best parameters, and a test evaluation. Batches are split over threads
/// in fixed halves and summed in a fixed order, so a run is deterministic for a seed and thread count.
/// </summary>
public static class DigitsTrainer
{
    /// <summary>Trains; <paramref name="onBatch"/> gets (epoch, batches done, batches per epoch, mean loss so far) after each batch.</summary>
    public static TrainingResult Train(LabeledData trainAll, LabeledData test, TrainingOptions options, Action<EpochResult>? onEpoch = null, Action<int, int, int, double>? onBatch = null)
    {
        (LabeledData train, LabeledData validation) = trainAll.Split(options.ValidationFraction, options.Seed);
        if (options.Augment ?? train.Count < 10_000)
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

        int inputs = train.FeatureCount;
        int hidden = options.Hidden;
        double[] parameters = Mlp.Initialize(inputs, hidden, options.Seed);
        Optimizer optimizer = CreateOptimizer(options);
        int threads = Math.Max(1, options.Threads);
        double[][] gradients = Enumerable.Range(0, threads).Select(_ => new double[parameters.Length]).ToArray();
        double[][] scratch = Enumerable.Range(0, threads).Select(_ => new double[parameters.Length]).ToArray();
        double[] total = new double[parameters.Length];
        double[] losses = new double[threads];
        int[] order = Enumerable.Range(0, train.Count).ToArray();
        var random = new Random(options.Seed);

        var history = new List<EpochResult>();
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        double[] best = (double[])parameters.Clone();
        long samples = 0;
        var clock = Stopwatch.StartNew();

        LearningRateSchedule? schedule = options.Schedule.ToLowerInvariant() switch
        {
            "none" => null,
            "cosine" => new CosineDecay(options.LearningRate, options.Epochs),
            "step" => new StepDecay(options.LearningRate, Math.Max(1, options.Epochs / 3)),
            _ => throw new ArgumentException($"Unknown schedule '{options.Schedule}'; use none, cosine or step."),
        };
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            if (schedule is not null)
            {
                optimizer.LearningRate = schedule.Rate(epoch - 1);
            }

            random.Shuffle(order);
            double epochLoss = 0;
            int batches = (order.Length + options.BatchSize - 1) / options.BatchSize;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                int count = Math.Min(options.BatchSize, order.Length - start);
                int per = (count + threads - 1) / threads;
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    double[] g = gradients[t];
                    Array.Clear(g);
                    double loss = 0;
                    for (int n = start + t * per; n < Math.Min(start + count, start + (t + 1) * per); n++)
                    {
                        int row = order[n];
                        loss += Mlp.LossGradient(parameters, train.Row(row), train.Labels[row], hidden, scratch[t]);
                        double[] s = scratch[t];
                        for (int i = 0; i < g.Length; i++)
                        {
                            g[i] += s[i];
                        }
                    }

                    losses[t] = loss;
                });

                Array.Clear(total);
                for (int t = 0; t < threads; t++)
                {
                    epochLoss += losses[t];
                    for (int i = 0; i < total.Length; i++)
                    {
                        total[i] += gradients[t][i] / count;
                    }
                }

                if (!double.IsFinite(epochLoss))
                {
                    throw new InvalidOperationException($"The loss became {epochLoss} in epoch {epoch} (batch starting at {start}); try a smaller --lr. The best parameters so far are kept.");
                }

                optimizer.Step<double>(parameters, total);
                samples += count;
                onBatch?.Invoke(epoch, start / options.BatchSize + 1, batches, epochLoss / (start + count));
            }

            (double trainLoss, double trainAccuracy) = Evaluate(parameters, train, hidden);
            (double validationLoss, double validationAccuracy) = Evaluate(parameters, validation, hidden);
            var result = new EpochResult(epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, epochClock.Elapsed.TotalSeconds);
            history.Add(result);
            onEpoch?.Invoke(result);
            if (validationLoss < bestLoss - 1e-6)
            {
                bestLoss = validationLoss;
                bestEpoch = epoch;
                Array.Copy(parameters, best, parameters.Length);
            }
            else if (epoch - bestEpoch >= options.Patience)
            {
                break; // early stopping: no validation improvement for `Patience` epochs
            }
        }

        double samplesPerSecond = samples / clock.Elapsed.TotalSeconds;
        var confusion = new int[Mlp.Classes, Mlp.Classes];
        int correct = 0;
        for (int n = 0; n < test.Count; n++)
        {
            int predicted = Mlp.Predict(best, test.Row(n), hidden);
            confusion[test.Labels[n], predicted]++;
            correct += predicted == test.Labels[n] ? 1 : 0;
        }

        return new TrainingResult(best, history, bestEpoch, (double)correct / test.Count, confusion, samplesPerSecond);
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

    /// <summary>Mean loss and accuracy over a data set.</summary>
    public static (double Loss, double Accuracy) Evaluate(double[] parameters, LabeledData data, int hidden)
    {
        double loss = 0;
        int correct = 0;
        for (int n = 0; n < data.Count; n++)
        {
            loss += Mlp.Loss(parameters, data.Row(n), data.Labels[n], hidden);
            correct += Mlp.Predict(parameters, data.Row(n), hidden) == data.Labels[n] ? 1 : 0;
        }

        return (loss / data.Count, (double)correct / data.Count);
    }
}
