using Autodiff.Data;
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
        TrainingResult result = DigitsTrainer.Train(Datasets.OptDigitsTrain(), Datasets.OptDigitsTest(), Short);
        Assert.True(result.TestAccuracy > 0.93, $"test accuracy {result.TestAccuracy:P2}");
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss / 2, "the training loss falls");
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
        var history = Enumerable.Range(1, 5).Select(e => new EpochResult(e, 1.0 / e, 0.9, 1.2 / e, 0.85, 0.1)).ToList();
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
        Assert.Equal(DigitsTrainer.Train(train, test, options).Parameters, DigitsTrainer.Train(train, test, options).Parameters);
    }

    [Fact]
    public void GeneratedGradient_MatchesFiniteDifferences()
    {
        LabeledData data = Datasets.OptDigitsTest();
        double[] p = Mlp.Initialize(64, 8, seed: 3);
        double[] g = new double[p.Length];
        Mlp.LossGradient(p, data.Row(0), data.Labels[0], 8, g);
        var random = new Random(1);
        for (int k = 0; k < 40; k++)
        {
            int i = random.Next(p.Length);
            double saved = p[i], h = 1e-6;
            p[i] = saved + h;
            double plus = Mlp.Loss(p, data.Row(0), data.Labels[0], 8);
            p[i] = saved - h;
            double minus = Mlp.Loss(p, data.Row(0), data.Labels[0], 8);
            p[i] = saved;
            Assert.Equal((plus - minus) / (2 * h), g[i], 6);
        }
    }
}
