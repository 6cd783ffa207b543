using Autodiff.Data;
using RowRnn;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>The row-by-row RNN example: its gradient through time, and a short training run.</summary>
public class RowRnnExampleTests
{
    [Fact]
    public void TheGradientThroughTheRows_MatchesFiniteDifferences()
    {
        // 4 rows of 3 pixels: the loop starts at row 1 and reads rows by (row · width).
        var model = new RowRnnModel(rowWidth: 3, rows: 4, hidden: 5, seed: 2);
        Tensor images = Init.Uniform(1f, new Random(4), 5, 12);
        int[] labels = { 1, 7, 3, 0, 9 };
        RowRnnModel.Gradient gradient = model.CreateGradient();
        float value = model.LossGradient(images, labels, gradient);
        Assert.Equal(model.Loss(images, labels), value, 5);
        FiniteDifferences.Check(FiniteDifferences.Pairs(model, gradient), () => model.Loss(images, labels), samples: 8);
    }

    [Fact]
    public void ThreeEpochsOnTheBundledDigits_ReachNinetyPercent()
    {
        LabeledData all = Datasets.OptDigitsTrain();
        (LabeledData train, LabeledData validation) = all.Split(0.1, 1);
        var model = new RowRnnModel(rowWidth: 8, rows: 8, hidden: 32, seed: 1);
        var trainer = RowRnnTraining.Create(model, epochs: 3, seed: 1);
        trainer.Fit(train, validation);
        Assert.True(trainer.Evaluate(validation).Accuracy > 0.9, $"validation accuracy {trainer.Evaluate(validation).Accuracy}");
    }
}
