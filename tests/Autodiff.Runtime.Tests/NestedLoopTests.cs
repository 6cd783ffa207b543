using Autodiff.Layers;
using Autodiff.Optimizers;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// Loops inside loops: a stack of layers applied for several rounds (a layer loop inside a counted loop), a
/// triangular loop bounded by the outer counter, and a loop inside an if.
/// </summary>
[Model]
public sealed partial class RoundsNet
{
    public Dense[] Blocks;
    public Dense Head;

    public RoundsNet(int width, int depth, int classes, int seed)
    {
        var random = new Random(seed);
        Blocks = new Dense[depth];
        for (int i = 0; i < depth; i++)
        {
            Blocks[i] = new Dense(width, width, random, xavier: true);
            Init.Uniform(0.1f, random, width).CopyTo(Blocks[i].Bias);
        }

        Head = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels, int rounds, bool refine)
    {
        Tensor h = x;
        float penalty = 0f;
        for (int r = 0; r < rounds; r++)
        {
            foreach (Dense block in Blocks)
            {
                h = Tensor.Tanh(block.Forward(h)) + h * 0.5f;
            }

            for (int j = 0; j < r; j++)
            {
                penalty += Tensor.Mean(h * h) * (j + 1);
            }
        }

        if (refine)
        {
            foreach (Dense block in Blocks)
            {
                h = Tensor.Sigmoid(block.Forward(h));
            }
        }

        return Tensor.SoftmaxCrossEntropy(Head.Forward(h), labels) + 0.05f * penalty;
    }
}

/// <summary>A [Model] holding a list of layers, itself held in a list: two levels of layer loops.</summary>
[Model]
public sealed partial class Stage
{
    public Dense[] Layers;

    public Stage(int width, int depth, Random random)
    {
        Layers = new Dense[depth];
        for (int i = 0; i < depth; i++)
        {
            Layers[i] = new Dense(width, width, random, xavier: true);
        }
    }

    [Differentiable]
    public Tensor Forward(Tensor x) => Tensor.Tanh(x);
}

[Model]
public sealed partial class StagedNet
{
    public List<Stage> Stages = new();
    public Dense Head;

    public StagedNet(int width, int[] depths, int classes, int seed)
    {
        var random = new Random(seed);
        foreach (int depth in depths)
        {
            Stages.Add(new Stage(width, depth, random));
        }

        Head = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels)
    {
        Tensor h = x;
        foreach (Stage stage in Stages)
        {
            Tensor skip = h;
            foreach (Dense layer in stage.Layers)
            {
                h = Tensor.Tanh(layer.Forward(h));
            }

            h = h + skip;
        }

        return Tensor.SoftmaxCrossEntropy(Head.Forward(h), labels);
    }
}

/// <summary>While loops: one that counts with a float, one that runs until the activations grow past a limit.</summary>
[Model]
public sealed partial class GrowNet
{
    public Dense Cell;
    public Dense Head;

    public GrowNet(int width, int classes, int seed)
    {
        var random = new Random(seed);
        Cell = new Dense(width, width, random, xavier: true);
        Head = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Counted(Tensor x, int[] labels, float steps)
    {
        Tensor h = x;
        float t = 0f;
        while (t < steps)
        {
            h = Tensor.Tanh(Cell.Forward(h)) + h * 0.5f;
            t = t + 1f;
        }

        return Tensor.SoftmaxCrossEntropy(Head.Forward(h), labels);
    }

    [Differentiable]
    public float Grow(Tensor x, int[] labels, float limit)
    {
        Tensor h = x;
        float size = Tensor.Mean(h * h);
        while (size < limit)
        {
            h = Tensor.Tanh(Cell.Forward(h)) + h * 1.5f;
            size = Tensor.Mean(h * h);
        }

        return Tensor.SoftmaxCrossEntropy(Head.Forward(h), labels) + 0.01f * size;
    }
}

[Collection(ThreadCount.Collection)]
public class NestedLoopTests
{
    private static (Tensor X, int[] Labels) Batch(int rows, int inputs, int classes, int seed) => LayerLoopTests.Batch(rows, inputs, classes, seed);

    private static void Check(ITensorSet model, ITensorSet gradient, Func<float> loss) => LayerLoopTests.CheckAgainstFiniteDifferences(model, gradient, loss);

    [Theory]
    [InlineData(3, true)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(0, false)]
    public void ALayerLoopInsideACountedLoop_AndATriangularLoop_MatchFiniteDifferences(int rounds, bool refine)
    {
        var model = new RoundsNet(5, 2, 3, seed: 3);
        (Tensor x, int[] labels) = Batch(4, 5, 3, 7);
        RoundsNet.Gradient gradient = model.CreateGradient();
        float value = model.LossGradient(x, labels, rounds, refine, gradient);
        Assert.Equal(model.Loss(x, labels, rounds, refine), value, 5);
        Check(model, gradient, () => model.Loss(x, labels, rounds, refine));

        // the same tape again with fewer rounds (frames left over from the longer call are ignored)
        value = model.LossGradient(x, labels, Math.Max(0, rounds - 1), refine, gradient);
        Assert.Equal(model.Loss(x, labels, Math.Max(0, rounds - 1), refine), value, 5);
        Check(model, gradient, () => model.Loss(x, labels, Math.Max(0, rounds - 1), refine));
    }

    [Fact]
    public void TwoLevelsOfLayerLists_MatchFiniteDifferences_ForParametersAndInput()
    {
        var model = new StagedNet(4, new[] { 2, 0, 3 }, 3, seed: 5);
        (Tensor x, int[] labels) = Batch(3, 4, 3, 9);
        Assert.Equal(new[] { "Stages.0.Layers.0.Weight", "Stages.0.Layers.0.Bias", "Stages.0.Layers.1.Weight", "Stages.0.Layers.1.Bias" },
            model.Parameters().Select(p => p.Name).Take(4));
        var tape = new StagedNet.LossTape();
        StagedNet.Gradient gradient = model.CreateGradient();
        var dx = new Tensor(3, 4);
        float value = model.LossRecord(tape, x, labels);
        model.LossBackward(tape, x, labels, 1f, gradient, dx);
        Assert.Equal(model.Loss(x, labels), value, 5);
        Check(model, gradient, () => model.Loss(x, labels));
        FiniteDifferences.Check(new[] { ("x", x, dx) }, () => model.Loss(x, labels), samples: null);
    }

    [Theory]
    [InlineData(3f)]
    [InlineData(0.5f)]
    [InlineData(0f)]
    public void AWhileLoopCountingWithAFloat_MatchesFiniteDifferences(float steps)
    {
        var model = new GrowNet(5, 3, seed: 8);
        (Tensor x, int[] labels) = Batch(4, 5, 3, 2);
        GrowNet.Gradient gradient = model.CreateGradient();
        float value = model.CountedGradient(x, labels, steps, gradient);
        Assert.Equal(model.Counted(x, labels, steps), value, 5);
        Check(model, gradient, () => model.Counted(x, labels, steps));
    }

    [Theory]
    [InlineData(0.01f, 0)]
    [InlineData(2f, 2)]
    [InlineData(6f, 3)]
    public void AWhileLoopOnTheActivations_RunsUntilTheTestFails_AndMatchesFiniteDifferences(float limit, int passes)
    {
        var model = new GrowNet(5, 3, seed: 8);
        (Tensor x, int[] labels) = Batch(4, 5, 3, 2);
        var tape = new GrowNet.GrowTape();
        GrowNet.Gradient gradient = model.CreateGradient();
        float value = model.GrowRecord(tape, x, labels, limit);
        Assert.Equal(passes, tape.n0);
        model.GrowBackward(tape, x, labels, limit, 1f, gradient, null);
        Assert.Equal(model.Grow(x, labels, limit), value, 5);
        Check(model, gradient, () => model.Grow(x, labels, limit));
    }

    [Fact]
    public void NestedAndWhileLoops_TrainWithoutAllocating()
    {
        var rounds = new RoundsNet(8, 2, 3, seed: 2);
        var grow = new GrowNet(8, 3, seed: 2);
        (Tensor x, int[] labels) = Batch(16, 8, 3, 1);
        RoundsNet.Gradient g1 = rounds.CreateGradient();
        GrowNet.Gradient g2 = grow.CreateGradient();
        var adam = new Adam(0.01);
        var adam2 = new Adam(0.01);
        void Step()
        {
            rounds.LossGradient(x, labels, 3, true, g1);
            rounds.Step(adam, g1);
            grow.CountedGradient(x, labels, 4f, g2);
            grow.Step(adam2, g2);
        }

        for (int i = 0; i < 5; i++)
        {
            Step();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
