using Autodiff.Layers;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>Branches on a field, a bool parameter and a float comparison.</summary>
[Model]
public sealed partial class BranchNet
{
    public Dense Hidden;
    public Dense Extra;
    public Dense Output;
    public bool Residual;

    public BranchNet(int inputs, int width, int classes, int seed)
    {
        var random = new Random(seed);
        Hidden = new Dense(inputs, width, random, xavier: true);
        Extra = new Dense(width, width, random, xavier: true);
        Output = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels, bool squash, float threshold)
    {
        Tensor h = Hidden.Forward(x);
        if (Residual)
        {
            h = h + Tensor.Tanh(Extra.Forward(h));
        }
        else
        {
            h = Tensor.Relu(h);
        }

        float penalty = Tensor.Sum(Hidden.Weight * Hidden.Weight);
        if (penalty > threshold)
        {
            penalty = penalty * 0.5f;
        }

        if (squash)
        {
            h = Tensor.Sigmoid(h);
        }

        return Tensor.SoftmaxCrossEntropy(Output.Forward(h), labels) + 0.01f * penalty;
    }
}

/// <summary>A branch inside a loop over layers, on a value the layer computes.</summary>
[Model]
public sealed partial class GatedStack
{
    public Dense[] Blocks;
    public Dense Head;

    public GatedStack(int width, int depth, int classes, int seed)
    {
        var random = new Random(seed);
        Blocks = Enumerable.Range(0, depth).Select(_ => new Dense(width, width, random, xavier: true)).ToArray();
        Head = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels)
    {
        foreach (Dense block in Blocks)
        {
            Tensor y = block.Forward(x);
            if (Tensor.Mean(y) > 0f)
            {
                x = Tensor.Tanh(y);
            }
            else
            {
                x = y * 0.5f;
            }
        }

        return Tensor.SoftmaxCrossEntropy(Head.Forward(x), labels);
    }
}

/// <summary>Branches and scale factors on tensor shapes: the input's, a parameter's, a computed local's, inside a layer loop.</summary>
[Model]
public sealed partial class ShapeNet
{
    public Dense Hidden;
    public Dense[] Blocks;
    public Dense Output;

    public ShapeNet(int inputs, int width, int classes, int seed)
    {
        var random = new Random(seed);
        Hidden = new Dense(inputs, width, random, xavier: true);
        Blocks = Enumerable.Range(0, 2).Select(_ => new Dense(width, width, random, xavier: true)).ToArray();
        Output = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels)
    {
        Tensor h = Hidden.Forward(x);
        // a small batch gets one nonlinearity, a large one another (both smooth, so finite differences hold)
        if (x.Rows < 5)
        {
            h = Tensor.Tanh(h);
        }
        else
        {
            h = Tensor.Sigmoid(h);
        }

        foreach (Dense block in Blocks)
        {
            Tensor y = block.Forward(h);
            // the shapes of a computed local and of a weight as passive factors
            h = h + y * (1f / y.Columns) * Scale(Hidden.Weight.Rows);
        }

        float mean = Tensor.Sum(h) / h.Length;
        return Tensor.SoftmaxCrossEntropy(Output.Forward(h), labels) + 0.1f * mean * mean;
    }

    private static float Scale(int rows) => rows > 4 ? 0.5f : 1f;
}

[Collection(ThreadCount.Collection)]
public class BranchTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    public void BranchesOnShapes_TakeTheSideTheBatchSizeGives_AndMatchFiniteDifferences(int batch)
    {
        var model = new ShapeNet(5, 6, 3, seed: 4);
        var random = new Random(batch);
        Tensor x = Init.Uniform(1f, random, batch, 5);
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 3).ToArray();
        ShapeNet.Gradient gradient = model.CreateGradient();
        float value = model.LossGradient(x, labels, gradient);
        Assert.Equal(model.Loss(x, labels), value, 5);
        FiniteDifferences.Check(FiniteDifferences.Pairs(model, gradient), () => model.Loss(x, labels), samples: 8);

        // The same batch sizes in a second call reuse the tape; a different one takes the other side.
        Tensor other = Init.Uniform(1f, random, 10 - batch, 5);
        int[] otherLabels = Enumerable.Range(0, 10 - batch).Select(i => i % 3).ToArray();
        model.LossGradient(other, otherLabels, gradient);
        FiniteDifferences.Check(FiniteDifferences.Pairs(model, gradient), () => model.Loss(other, otherLabels), samples: 8);
    }

    [Theory]
    [InlineData(true, true, 0.1f)]
    [InlineData(true, false, 1000f)]
    [InlineData(false, true, 1000f)]
    [InlineData(false, false, 0.1f)]
    public void EachBranch_MatchesFiniteDifferences(bool residual, bool squash, float threshold)
    {
        var model = new BranchNet(5, 6, 3, seed: 5) { Residual = residual };
        var random = new Random(9);
        Tensor x = Init.Uniform(1f, random, 4, 5);
        int[] labels = { 1, 0, 2, 2 };
        BranchNet.Gradient gradient = model.CreateGradient();
        float value = model.LossGradient(x, labels, squash, threshold, gradient);
        Assert.Equal(model.Loss(x, labels, squash, threshold), value, 5);
        FiniteDifferences.Check(FiniteDifferences.Pairs(model, gradient), () => model.Loss(x, labels, squash, threshold), samples: 6);
        if (!residual)
        {
            // The branch that did not run leaves its layer's gradient at zero.
            Assert.All(gradient.Extra.Weight.Span.ToArray(), g => Assert.Equal(0f, g));
        }
    }

    [Fact]
    public void ABranchInsideALoopOverLayers_MatchesFiniteDifferences_AndTakesBothSides()
    {
        var model = new GatedStack(5, 4, 3, seed: 11);
        var random = new Random(3);
        Tensor x = Init.Uniform(1f, random, 6, 5);
        int[] labels = { 0, 1, 2, 0, 1, 2 };
        var taken = new List<bool>();
        Tensor h = x;
        foreach (Dense block in model.Blocks)
        {
            Tensor y = block.Forward(h);
            taken.Add(Tensor.Mean(y) > 0f);
            h = taken[^1] ? Tensor.Tanh(y) : y * 0.5f;
        }

        Assert.Contains(true, taken);
        Assert.Contains(false, taken);
        GatedStack.Gradient gradient = model.CreateGradient();
        model.LossGradient(x, labels, gradient);
        FiniteDifferences.Check(FiniteDifferences.Pairs(model, gradient), () => model.Loss(x, labels), samples: 6);
    }

    [Fact]
    public void TrainingAModelWithBranches_AllocatesNothingAfterWarmUp()
    {
        var model = new BranchNet(5, 6, 3, seed: 5) { Residual = true };
        Tensor x = Init.Uniform(1f, new Random(1), 8, 5);
        int[] labels = { 1, 0, 2, 2, 1, 0, 2, 2 };
        BranchNet.Gradient gradient = model.CreateGradient();
        var sgd = new Optimizers.Sgd(0.01);
        for (int i = 0; i < 3; i++)
        {
            model.LossGradient(x, labels, i % 2 == 0, 1f, gradient);
            model.Step(sgd, gradient);
        }

        // Up to three rounds of steps, the last of which must allocate nothing (as LayerLoopTests' check: a one-off
        // runtime allocation on this thread, seen once in a CI run with AVX-512 off, lands in one round only).
        List<long> rounds = Allocation.ByRound(10, i =>
        {
            model.LossGradient(x, labels, i % 2 == 0, 1f, gradient);
            model.Step(sgd, gradient);
        });

        Assert.True(rounds[^1] == 0, $"bytes allocated by 10 steps, round by round: {string.Join(", ", rounds)}");
    }
}
