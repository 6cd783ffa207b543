using Autodiff.Data;
using Autodiff.Training;
using Digits;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>The main job's core, run short so CI keeps it working: real data, real outcomes.</summary>
public class DigitsExampleTests
{
    private static readonly TrainingOptions Short = new() { Epochs = 6, Hidden = 32, Seed = 7 };

    [Fact]
    public void ShortRun_LearnsTheDigits()
    {
        DigitsResult result = DigitsTrainer.Train(Datasets.OptDigitsTrain(), Datasets.OptDigitsTest(), Short);
        Assert.True(result.TestAccuracy > 0.93, $"test accuracy {result.TestAccuracy:P2}");
        IReadOnlyList<EpochMetrics> history = result.Training.History;
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss / 2, "the training loss falls");
        Assert.Equal(1797, result.Confusion.Cast<int>().Sum());
    }

    [Fact]
    public void Augmentation_AddsFourShiftedCopies()
    {
        var image = new double[64];
        image[3 * 8 + 4] = 1; // one lit pixel at (x 4, y 3)
        var data = new LabeledData(image, new[] { 7 }, 64, 10);
        LabeledData shifted = DigitsTrainer.Shifted(data);
        Assert.Equal(5, shifted.Count);
        Assert.All(shifted.Labels, l => Assert.Equal(7, l));
        Assert.Equal(1, shifted.Row(0)[3 * 8 + 4]);   // original
        Assert.Equal(1, shifted.Row(1)[3 * 8 + 5]);   // moved right
        Assert.Equal(1, shifted.Row(2)[3 * 8 + 3]);   // moved left
        Assert.Equal(1, shifted.Row(3)[4 * 8 + 4]);   // moved down
        Assert.Equal(1, shifted.Row(4)[2 * 8 + 4]);   // moved up
        Assert.All(Enumerable.Range(0, 5), r => Assert.Equal(1, shifted.Row(r).ToArray().Sum()));
    }

    [Fact]
    public void LearningCurve_IsAPng()
    {
        var history = Enumerable.Range(1, 5).Select(e => new EpochMetrics(e, 1.1 / e, 1.0 / e, 0.9, 1.2 / e, 0.85, 1e-3, 0.1, 1e5)).ToList();
        string path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".png");
        try
        {
            LearningCurve.Save(history, 4, path);
            byte[] bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 10_000, $"{bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnknownOptimizer_IsAClearError()
        => Assert.Contains("Unknown optimizer 'lbfgs'", Assert.Throws<ArgumentException>(() => DigitsTrainer.CreateOptimizer(new TrainingOptions { Optimizer = "lbfgs" })).Message, StringComparison.Ordinal);

    [Fact]
    public void SameSeed_GivesTheSameModel()
    {
        LabeledData train = Datasets.OptDigitsTrain(), test = Datasets.OptDigitsTest();
        var options = Short with { Epochs = 2 };
        float[] Weights() => DigitsTrainer.Train(train, test, options).Model.Hidden.Weight.Span.ToArray();
        Assert.Equal(Weights(), Weights());
    }

    [Fact]
    public void GeneratedGradient_MatchesFiniteDifferences()
    {
        // Float model: central differences with h = 1e-3 (smaller than 1e-2 so no step crosses a ReLU kink of the 32
        // pre-activations; float rounding of a loss near 2 is then ~2.4e-4, inside the 3e-3 tolerance).
        LabeledData data = Datasets.OptDigitsTest();
        var model = new DigitsModel(64, 8, seed: 3);
        var x = new Tensor(4, 64);
        for (int i = 0; i < x.Length; i++)
        {
            x.Span[i] = (float)(data.Features[i] / 16);
        }

        int[] labels = data.Labels[..4];
        DigitsModel.Gradient g = model.CreateGradient();
        model.LossGradient(x, labels, g);
        var tensors = new[] { ("Hidden.Weight", model.Hidden.Weight, g.Hidden.Weight), ("Hidden.Bias", model.Hidden.Bias, g.Hidden.Bias), ("Output.Weight", model.Output.Weight, g.Output.Weight), ("Output.Bias", model.Output.Bias, g.Output.Bias) };
        FiniteDifferences.Check(tensors, () => model.Loss(x, labels), samples: 10, h: 1e-3f, seed: 1);
    }
}
