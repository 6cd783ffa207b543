using System.Text.Json;
using Autodiff.Data;
using Autodiff.Optimizers;
using Autodiff.Training;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>One named tensor: a stand-in model (or gradient) whose behaviour a test scripts.</summary>
public sealed class ScriptedSet(string name, int length) : ITensorSet
{
    public Tensor W { get; } = new(length);

    public void CollectTensors(List<NamedTensor> into, string prefix) => into.Add(new NamedTensor(prefix + name, W));
}

public class TrainerTests
{
    /// <summary>4 training rows (one batch of 4 per epoch) and one validation row of class 0, 2 features.</summary>
    private static readonly LabeledData Four = new(new double[8], new[] { 0, 1, 0, 1 }, 2, 2);
    private static readonly LabeledData One = new(new double[2], new[] { 0 }, 2, 2);

    /// <summary>
    /// A trainer over a 1-value "model" trained with SGD lr 1 on a gradient of 1, so after epoch e its value is -e;
    /// the validation loss of epoch e is scripted: logits (0, z) with log(1 + e^z) = loss.
    /// </summary>
    private static (Trainer<ScriptedSet> Trainer, ScriptedSet Model) Scripted(double[] validationLosses, TrainerOptions options, Func<long, float>? batchLoss = null)
    {
        var model = new ScriptedSet("W", 1);
        Trainer<ScriptedSet>? trainer = null;
        trainer = new Trainer<ScriptedSet>(
            model, new ScriptedSet("W", 1), new Sgd(1.0),
            lossGradient: (x, labels, g) =>
            {
                g.W.Span[0] = 1;
                return batchLoss?.Invoke(trainer!.Steps) ?? 1f;
            },
            logits: x =>
            {
                double loss = validationLosses[Math.Min(trainer!.Epoch, validationLosses.Length - 1)];
                var logits = new Tensor(x.Rows, 2);
                for (int r = 0; r < x.Rows; r++)
                {
                    logits[r, 1] = (float)Math.Log(Math.Exp(loss) - 1);
                }

                return logits;
            },
            options: options with { BatchSize = 4 });
        return (trainer, model);
    }

    [Fact]
    public void Evaluate_IsTheMeanCrossEntropyAndAccuracy_OfADoubleReference()
    {
        // Logits from a fixed random linear map of the features, 4 classes, rows in batches of 3 (a partial last batch).
        // A label beyond the logits' classes makes the loss NaN.
        var random = new Random(5);
        var weights = Enumerable.Range(0, 3 * 4).Select(_ => random.NextDouble() * 6 - 3).ToArray();
        var data = new LabeledData(Enumerable.Range(0, 7 * 3).Select(_ => random.NextDouble()).ToArray(), new[] { 0, 1, 2, 3, 1, 2, 0 }, 3, 4);
        Tensor Logits(Tensor x)
        {
            var logits = new Tensor(x.Rows, 4);
            for (int r = 0; r < x.Rows; r++)
            {
                for (int k = 0; k < 4; k++)
                {
                    double z = 0;
                    for (int j = 0; j < 3; j++)
                    {
                        z += x[r, j] * weights[j * 4 + k];
                    }

                    logits[r, k] = (float)z;
                }
            }

            return logits;
        }

        var model = new ScriptedSet("W", 1);
        var trainer = new Trainer<ScriptedSet>(model, new ScriptedSet("W", 1), new Sgd(), (x, labels, g) => 0f, Logits, options: new TrainerOptions { EvaluationBatchSize = 3 });
        Tensor all = Logits(Tensor.FromArray(data.Features.Select(v => (float)v).ToArray(), 7, 3));
        double loss = 0;
        int correct = 0;
        for (int r = 0; r < 7; r++)
        {
            double[] z = Enumerable.Range(0, 4).Select(k => (double)all[r, k]).ToArray();
            double max = z.Max();
            loss += Math.Log(z.Sum(v => Math.Exp(v - max))) + max - z[data.Labels[r]];
            correct += Array.IndexOf(z, max) == data.Labels[r] ? 1 : 0;
        }

        (double actualLoss, double accuracy) = trainer.Evaluate(data);
        Assert.Equal(loss / 7, actualLoss, 5);
        Assert.Equal(correct / 7.0, accuracy, 12);
        Assert.Equal(Enumerable.Range(0, 7).Select(r => Enumerable.Range(0, 4).MaxBy(k => all[r, k])).ToArray(), trainer.Predict(data));
        Assert.True(double.IsNaN(trainer.Evaluate(new LabeledData(data.Features[..3], new[] { 9 }, 3, 10)).Loss));
    }

    [Fact]
    public void EarlyStopping_StopsAtTheRightEpochAndRestoresTheBest()
    {
        // Epoch 3 is best; epoch 5's 0.58 improves by less than min-delta 0.05, so it does not count: the third epoch
        // without improvement is 6.
        double[] curve = { 1.0, 0.8, 0.6, 0.65, 0.58, 0.7, 0.5, 0.4 };
        (Trainer<ScriptedSet> trainer, ScriptedSet model) = Scripted(curve, new TrainerOptions { Epochs = 20, Patience = 3, MinDelta = 0.05 });
        TrainingResult result = trainer.Fit(Four, One);
        Assert.Equal(StopReason.EarlyStopped, result.StopReason);
        Assert.Equal(6, result.History.Count);
        Assert.Equal(3, result.BestEpoch);
        Assert.Equal(0.6, result.BestLoss, 5);
        Assert.Equal(-3f, model.W.Span[0]); // the parameters after epoch 3, not after epoch 6
        Assert.Equal(curve[..6], result.History.Select(h => Math.Round(h.ValidationLoss, 5)).ToArray());
    }

    [Fact]
    public void WithoutRestoreBest_TheLastParametersStay()
    {
        (Trainer<ScriptedSet> trainer, ScriptedSet model) = Scripted(new[] { 1.0, 0.8, 0.9, 0.95 }, new TrainerOptions { Epochs = 20, Patience = 2, RestoreBest = false });
        TrainingResult result = trainer.Fit(Four, One);
        Assert.Equal(4, result.History.Count);
        Assert.Equal(-4f, model.W.Span[0]);
    }

    [Fact]
    public void AFlatTrainingLoss_StopsTheRun()
    {
        (Trainer<ScriptedSet> trainer, _) = Scripted(new[] { 1.0 }, new TrainerOptions { Epochs = 50, FlatTolerance = 1e-6, FlatPatience = 3 });
        TrainingResult result = trainer.Fit(Four);
        Assert.Equal(StopReason.LossFlat, result.StopReason);
        Assert.Equal(4, result.History.Count); // epochs 2, 3 and 4 each changed nothing
    }

    [Fact]
    public void EmaEvaluation_AveragesTheParameters()
    {
        // Values after steps 1..5 are -1..-5; avg starts at the first value, then avg = d avg + (1 - d) θ.
        (Trainer<ScriptedSet> trainer, ScriptedSet model) = Scripted(new[] { 1.0 }, new TrainerOptions { Epochs = 5, EmaDecay = 0.5, RestoreBest = false });
        trainer.Fit(Four);
        double average = -1;
        for (int t = 2; t <= 5; t++)
        {
            average = 0.5 * average + 0.5 * -t;
        }

        Assert.Equal(average, model.W.Span[0], 5);
    }

    [Fact]
    public void NaNInTheGradient_StopsWithEpochBatchAndTensor_AndKeepsTheLastCheckpoint()
    {
        string path = TempPath();
        try
        {
            var model = new ScriptedSet("Layer.Weight", 3);
            int calls = 0;
            var trainer = new Trainer<ScriptedSet>(
                model, new ScriptedSet("Layer.Weight", 3), new Sgd(0.1),
                lossGradient: (x, labels, g) =>
                {
                    calls++;
                    g.W.Span.Fill(1);
                    if (calls == 7)
                    {
                        g.W.Span[1] = float.NaN; // epoch 4 (2 batches per epoch), batch 1
                    }

                    return 0.5f;
                },
                logits: x => new Tensor(x.Rows, 2),
                options: new TrainerOptions { Epochs = 10, BatchSize = 2, CheckpointPath = path, WarmUp = false }); // counts the calls
            float[] before = null!;
            trainer.BatchEnded += b => before = model.W.Span.ToArray();
            var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Four));
            Assert.Equal((4, 1, "Layer.Weight"), (error.Epoch, error.Batch, error.Tensor));
            Assert.Contains("epoch 4", error.Message);
            Assert.Contains("gradient of Layer.Weight", error.Message);
            Assert.Contains("batch 1 of 2", error.Message);
            Assert.Equal(before, model.W.Span.ToArray()); // the bad update was not applied
            Assert.All(model.W.Span.ToArray(), v => Assert.True(float.IsFinite(v)));

            var restored = new ScriptedSet("Layer.Weight", 3);
            Assert.Equal(3, Checkpoint.Load(path, restored).Epoch); // the checkpoint of the last good epoch
            Assert.Equal(-0.6f, restored.W.Span[0], 5);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_warm_up_step_is_undone_exactly()
    {
        // Adam with clipping and EMA: the warm-up's update, moments and step counts must all be rolled back.
        LabeledData data = Blobs(90, seed: 4);
        (float[] Parameters, TrainingResult Result) Run(bool warmUp)
        {
            var model = new TinyMlp(6, 16, 3, seed: 9);
            var trainer = new Trainer<TinyMlp.Gradient>(model, model.CreateGradient(), new Adam(0.01) { ClipNorm = 0.5 },
                model.LossGradient, model.Forward, model.Step, new TrainerOptions { Epochs = 3, BatchSize = 16, EmaDecay = 0.9, WarmUp = warmUp });
            TrainingResult result = trainer.Fit(data);
            return (model.W1.Span.ToArray().Concat(model.B1.Span.ToArray()).Concat(model.W2.Span.ToArray()).Concat(model.B2.Span.ToArray()).ToArray(), result);
        }

        (float[] with, TrainingResult withResult) = Run(true);
        (float[] without, TrainingResult withoutResult) = Run(false);
        Assert.Equal(without, with);
        Assert.Equal(withoutResult.Steps, withResult.Steps);
        Assert.Equal(withoutResult.History.Select(h => h.TrainLoss), withResult.History.Select(h => h.TrainLoss));
        Assert.True(withResult.WarmUpSeconds > 0);
        Assert.Equal(0, withoutResult.WarmUpSeconds);
    }

    [Fact]
    public void A_warm_up_step_that_throws_leaves_the_model_as_it_was()
    {
        var model = new ScriptedSet("W", 2);
        model.W.Span.Fill(3f);
        var trainer = new Trainer<ScriptedSet>(model, new ScriptedSet("W", 2), new Sgd(1.0),
            (x, labels, g) =>
            {
                g.W.Span.Fill(1f);
                return 0.5f;
            },
            x => new Tensor(x.Rows, 2),
            step: (optimizer, g) =>
            {
                optimizer.Step<float>(model.W.Span, g.W.Span); // applied, then the step fails
                throw new InvalidOperationException("bad batch");
            });
        Assert.Equal("bad batch", Assert.Throws<InvalidOperationException>(() => trainer.Fit(Four)).Message);
        Assert.Equal(new[] { 3f, 3f }, model.W.Span.ToArray());
    }

    [Fact]
    public void EachEpoch_SeesEveryRowOnce_InANewOrder_ThatTheSeedReproduces()
    {
        // Feature 0 of row r is r, so each batch tells which rows it holds.
        const int Rows = 23;
        var features = new double[Rows * 2];
        for (int r = 0; r < Rows; r++)
        {
            features[2 * r] = r;
        }

        var data = new LabeledData(features, new int[Rows], 2, 2);
        List<List<int>> Seen(int seed)
        {
            var epochs = new List<List<int>> { new() };
            var trainer = new Trainer<ScriptedSet>(new ScriptedSet("W", 1), new ScriptedSet("W", 1), new Sgd(0.1),
                (x, labels, g) =>
                {
                    for (int r = 0; r < x.Rows; r++)
                    {
                        epochs[^1].Add((int)x.Row(r)[0]);
                    }

                    return 0.5f;
                },
                x => new Tensor(x.Rows, 2), options: new TrainerOptions { Epochs = 2, BatchSize = 5, Seed = seed, FlatTolerance = null, WarmUp = false }); // records every call's rows
            trainer.EpochEnded += _ => epochs.Add(new List<int>());
            trainer.Fit(data);
            epochs.RemoveAt(epochs.Count - 1);
            return epochs;
        }

        List<List<int>> run = Seen(7);
        Assert.Equal(2, run.Count);
        Assert.All(run, epoch => Assert.Equal(Enumerable.Range(0, Rows), epoch.Order()));   // a permutation
        Assert.NotEqual(run[0], run[1]);                                                  // reshuffled each epoch
        Assert.NotEqual(Enumerable.Range(0, Rows), run[0]);                               // shuffled at all
        List<List<int>> again = Seen(7);
        Assert.Equal(run[0], again[0]);                                                   // the seed reproduces it
        Assert.Equal(run[1], again[1]);
        Assert.NotEqual(run[0], Seen(8)[0]);                                              // another seed, another order
    }

    [Fact]
    public void ACheckpointThatCannotBeWritten_IsReportedAndTrainingGoesOn()
    {
        // A folder below a file: every save fails, whoever runs the test.
        string file = TempPath();
        File.WriteAllText(file, "x");
        try
        {
            string path = Path.Combine(file, "checkpoint.adck");
            Trainer<ScriptedSet> Make() => new(new ScriptedSet("W", 1), new ScriptedSet("W", 1), new Sgd(0.1),
                (x, labels, g) => 0.5f, x => new Tensor(x.Rows, 2), options: new TrainerOptions { Epochs = 3, BatchSize = 2, CheckpointPath = path, FlatTolerance = null });
            var reported = new List<string>();
            Trainer<ScriptedSet> trainer = Make();
            trainer.CheckpointFailed += (where, e) => reported.Add(where);
            TrainingResult result = trainer.Fit(Four);
            Assert.Equal(3, result.History.Count);
            Assert.Equal(new[] { path, path, path }, reported);

            // Nobody listening: the failure is not swallowed.
            Assert.ThrowsAny<IOException>(() => Make().Fit(Four));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void ACheckpointLeftByAnotherRun_IsNotCalledIntact()
    {
        string path = TempPath();
        try
        {
            File.WriteAllText(path, "left here by an earlier, different run");
            var trainer = new Trainer<ScriptedSet>(new ScriptedSet("W", 1), new ScriptedSet("W", 1), new Sgd(0.1),
                (x, labels, g) => float.NaN, x => new Tensor(x.Rows, 2), options: new TrainerOptions { Epochs = 2, BatchSize = 2, CheckpointPath = path });
            var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Four));
            Assert.True(!error.Message.Contains("intact", StringComparison.Ordinal), error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ANaNLoss_NamesTheLoss()
    {
        var trainer = new Trainer<ScriptedSet>(new ScriptedSet("W", 1), new ScriptedSet("W", 1), new Sgd(0.1),
            (x, labels, g) => float.PositiveInfinity, x => new Tensor(x.Rows, 2));
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Four));
        Assert.Null(error.Tensor);
        Assert.Contains("the loss is ∞", error.Message.Replace("Infinity", "∞"));
    }

    private static (TinyMlp Model, Trainer<TinyMlp.Gradient> Trainer) Mlp(TrainerOptions options)
    {
        var model = new TinyMlp(6, 12, 3, seed: 4);
        var trainer = new Trainer<TinyMlp.Gradient>(model, model.CreateGradient(), new Adam(0.01) { ClipNorm = 5 },
            model.LossGradient, model.Forward, model.Step, options);
        return (model, trainer);
    }

    internal static LabeledData Blobs(int rows, int seed, double separation = 1.5)
    {
        var random = new Random(seed);
        var features = new double[rows * 6];
        var labels = new int[rows];
        for (int n = 0; n < rows; n++)
        {
            labels[n] = n % 3;
            for (int i = 0; i < 6; i++)
            {
                features[n * 6 + i] = (i % 3 == labels[n] ? separation : 0) + random.NextDouble() - 0.5;
            }
        }

        return new LabeledData(features, labels, 6, 3);
    }

    [Fact]
    public void Resuming_FromEpochAndMidEpochCheckpoints_GivesTheUninterruptedResult()
    {
        string path = TempPath();
        try
        {
            LabeledData train = Blobs(90, 1), validation = Blobs(30, 2);
            var options = new TrainerOptions { Epochs = 6, BatchSize = 16, Seed = 3, Patience = 10, EmaDecay = 0.9, Schedule = new CosineDecay(0.01, 6) };
            (TinyMlp reference, Trainer<TinyMlp.Gradient> uninterrupted) = Mlp(options);
            TrainingResult expected = uninterrupted.Fit(train, validation);
            Assert.True(expected.History[^1].ValidationAccuracy > 0.9, $"{expected.History[^1].ValidationAccuracy}");

            // Stop in the middle of epoch 3 (after its 2nd batch), as Ctrl+C would; then resume in a new trainer.
            (TinyMlp first, Trainer<TinyMlp.Gradient> interrupted) = Mlp(options with { CheckpointPath = path });
            using var stop = new CancellationTokenSource();
            interrupted.BatchEnded += b =>
            {
                if (b.Epoch == 3 && b.Batch == 2)
                {
                    stop.Cancel();
                }
            };
            Assert.Equal(StopReason.Cancelled, interrupted.Fit(train, validation, stop.Token).StopReason);

            (TinyMlp resumed, Trainer<TinyMlp.Gradient> continued) = Mlp(options with { CheckpointPath = path });
            Assert.Equal(2, continued.Resume(path).Epoch);
            TrainingResult actual = continued.Fit(train, validation);

            Assert.Equal(expected.Steps, actual.Steps);
            Assert.Equal(expected.BestEpoch, actual.BestEpoch);
            Assert.Equal(expected.History.Select(h => h.ValidationLoss), actual.History.Select(h => h.ValidationLoss));
            foreach ((NamedTensor a, NamedTensor b) in reference.Tensors().Zip(resumed.Tensors()))
            {
                Assert.Equal(a.Value.Span.ToArray(), b.Value.Span.ToArray()); // bitwise
            }

            // Another resume from the last epoch's checkpoint: nothing left to do, same parameters.
            (TinyMlp again, Trainer<TinyMlp.Gradient> finished) = Mlp(options);
            Assert.Equal(6, finished.Resume(path).Epoch);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Resuming_WithOtherOptionsOrAParametersOnlyFile_IsAClearError()
    {
        string path = TempPath();
        try
        {
            LabeledData train = Blobs(40, 1);
            (TinyMlp model, Trainer<TinyMlp.Gradient> trainer) = Mlp(new TrainerOptions { Epochs = 1, BatchSize = 8, CheckpointPath = path });
            trainer.Fit(train);

            (_, Trainer<TinyMlp.Gradient> other) = Mlp(new TrainerOptions { Epochs = 2, BatchSize = 16 });
            Assert.Contains("batch size 8", Assert.Throws<CheckpointException>(() => other.Resume(path)).Message);

            (_, Trainer<TinyMlp.Gradient> same) = Mlp(new TrainerOptions { Epochs = 2, BatchSize = 8 });
            same.Resume(path);
            Assert.Contains("40 rows", Assert.Throws<ArgumentException>(() => same.Fit(Blobs(50, 1))).Message);

            Checkpoint.Save(path, model, new CheckpointInfo(1, 5));
            (_, Trainer<TinyMlp.Gradient> fresh) = Mlp(new TrainerOptions { BatchSize = 8 });
            Assert.Contains("parameters only", Assert.Throws<CheckpointException>(() => fresh.Resume(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void History_IsWrittenAsCsvAndJson()
    {
        string csv = TempPath() + ".csv", json = Path.ChangeExtension(csv, ".json");
        try
        {
            (_, Trainer<TinyMlp.Gradient> trainer) = Mlp(new TrainerOptions { Epochs = 3, BatchSize = 16 });
            TrainingResult result = trainer.Fit(Blobs(60, 1));
            TrainingHistory.SaveCsv(result.History, csv);
            TrainingHistory.SaveJson(result.History, json);
            string[] lines = File.ReadAllLines(csv);
            Assert.Equal(TrainingHistory.CsvHeader, lines[0]);
            Assert.Equal(4, lines.Length);
            Assert.Equal(string.Empty, lines[1].Split(',')[4]); // no validation data: empty, not NaN
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal(3, document.RootElement.GetArrayLength());
            Assert.Equal(JsonValueKind.Null, document.RootElement[0].GetProperty("validation_loss").ValueKind);
            Assert.Equal(result.History[2].TrainLoss, document.RootElement[2].GetProperty("train_loss").GetDouble());
        }
        finally
        {
            File.Delete(csv);
            File.Delete(json);
        }
    }

    [Fact]
    public void OptimizerState_RoundTrips_AndRefusesAnotherOptimizer()
    {
        var adam = new Adam(0.01);
        float[] p = { 1, 2, 3 };
        adam.Step<float>(p, new float[] { 0.1f, -0.2f, 0.3f }, slot: 2);
        var stream = new MemoryStream();
        adam.SaveState(new BinaryWriter(stream));
        var copy = new Adam(0.5);
        copy.LoadState(new BinaryReader(new MemoryStream(stream.ToArray())));
        Assert.Equal(0.01, copy.LearningRate);
        Assert.Equal(adam.GetState<float>(2)[1], copy.GetState<float>(2)[1]);
        float[] a = (float[])p.Clone(), b = (float[])p.Clone();
        adam.Step<float>(a, new float[] { 1, 1, 1 }, 2);
        copy.Step<float>(b, new float[] { 1, 1, 1 }, 2);
        Assert.Equal(a, b); // bias correction continues from step 2 in both
        Assert.Contains("Adam", Assert.Throws<InvalidDataException>(() => new Sgd(0.1).LoadState(new BinaryReader(new MemoryStream(stream.ToArray())))).Message);
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), "trainer-" + Guid.NewGuid().ToString("N") + ".adck");
}

public class TrainerExtrasTests
{
    private static LabeledData Blobs(int rows, int seed) => TrainerTests.Blobs(rows, seed, separation: 1.0);

    private static (TinyMlp, Trainer<TinyMlp.Gradient>) Mlp(TrainerOptions options, double lr = 0.01)
    {
        var model = new TinyMlp(6, 12, 3, seed: 4);
        return (model, new Trainer<TinyMlp.Gradient>(model, model.CreateGradient(), new Adam(lr), model.LossGradient, model.Forward, model.Step, options));
    }

    [Fact]
    public void ThreeWaySplit_PartitionsTheRows()
    {
        LabeledData all = Blobs(100, 1);
        (LabeledData train, LabeledData validation, LabeledData test) = all.Split(0.1, 0.2, seed: 3);
        Assert.Equal((70, 10, 20), (train.Count, validation.Count, test.Count));
        var rows = new HashSet<string>(new[] { train, validation, test }.SelectMany(d => Enumerable.Range(0, d.Count).Select(r => string.Join(",", d.Row(r).ToArray()))));
        Assert.Equal(100, rows.Count); // every row exactly once
        Assert.Throws<ArgumentOutOfRangeException>(() => all.Split(0.6, 0.5, 1));
    }

    [Fact]
    public void SnapshotEnsemble_AveragesTheKeptSnapshots_AndSurvivesAResume()
    {
        string path = Path.Combine(Path.GetTempPath(), "ens-" + Guid.NewGuid().ToString("N") + ".adck");
        try
        {
            LabeledData train = Blobs(90, 1), test = Blobs(60, 2);
            var options = new TrainerOptions { Epochs = 6, BatchSize = 16, Snapshots = 2, SnapshotEvery = 2, Schedule = new CosineRestarts(0.02, 2), CheckpointPath = path };
            (TinyMlp model, Trainer<TinyMlp.Gradient> trainer) = Mlp(options);
            Assert.Throws<InvalidOperationException>(() => trainer.PredictEnsemble(test));
            trainer.Fit(train);
            Assert.Equal(2, trainer.SnapshotCount); // epochs 4 and 6 (2 was dropped)
            float[] before = model.W1.Span.ToArray();
            (double loss, double accuracy) = trainer.EvaluateEnsemble(test);
            Assert.Equal(before, model.W1.Span.ToArray()); // the model is left as it was
            Assert.True(accuracy > 0.8, $"{accuracy}");
            Assert.True(double.IsFinite(loss) && loss > 0);

            (_, Trainer<TinyMlp.Gradient> resumed) = Mlp(options with { CheckpointPath = null });
            resumed.Resume(path);
            Assert.Equal(trainer.PredictEnsemble(test), resumed.PredictEnsemble(test));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReduceOnPlateau_LowersTheRateWhenTheLossStalls()
    {
        var plateau = new ReduceOnPlateau(0.05, factor: 0.5, patience: 1, minDelta: 10); // nothing counts as improvement
        (_, Trainer<TinyMlp.Gradient> trainer) = Mlp(new TrainerOptions { Epochs = 5, BatchSize = 16, Plateau = plateau }, lr: 0.05);
        TrainingResult result = trainer.Fit(Blobs(60, 1));
        Assert.Equal(new[] { 0.05, 0.05, 0.05, 0.025, 0.025 }, result.History.Select(h => h.LearningRate));
        Assert.Throws<ArgumentException>(() => Mlp(new TrainerOptions { Plateau = plateau, Schedule = new CosineDecay(1, 2) }));
    }
}
