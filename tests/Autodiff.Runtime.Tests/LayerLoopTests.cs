using Autodiff.Layers;
using Autodiff.Optimizers;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>A stack of layers in an array, looped over; a regulariser summed over the same loop.</summary>
[Model]
public sealed partial class DeepNet
{
    public Dense[] Blocks;
    public Dense Head;

    public DeepNet(int inputs, int width, int depth, int classes, int seed)
    {
        var random = new Random(seed);
        Blocks = new Dense[depth];
        for (int i = 0; i < depth; i++)
        {
            Blocks[i] = new Dense(i == 0 ? inputs : width, width, random, xavier: true);
            Init.Uniform(0.1f, random, width).CopyTo(Blocks[i].Bias);
        }

        Head = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public Tensor Forward(Tensor x)
    {
        foreach (Dense block in Blocks)
        {
            x = Tensor.Tanh(block.Forward(x));
        }

        return Head.Forward(x);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels, float decay)
    {
        float penalty = 0f;
        foreach (Dense block in Blocks)
        {
            penalty += Tensor.Sum(block.Weight * block.Weight);
        }

        return Tensor.SoftmaxCrossEntropy(Forward(x), labels) + decay * penalty;
    }
}

/// <summary>A weight-tied recurrence: the same layer applied Steps times (a counted loop), dropout seeded per step.</summary>
[Model]
public sealed partial class TiedNet
{
    public Dense Cell;
    public Dense Head;
    public int Steps = 3;

    public TiedNet(int width, int classes, int seed)
    {
        var random = new Random(seed);
        Cell = new Dense(width, width, random, xavier: true);
        Head = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels, int seed, bool training)
    {
        Tensor h = x;
        float size = 0f;
        for (int step = 0; step < Steps; step++)
        {
            h = Tensor.Dropout(Tensor.Tanh(Cell.Forward(h)) + x * 0.5f, 0.2f, seed + step * 7, training);
            size += Tensor.Mean(h * h);
        }

        return Tensor.SoftmaxCrossEntropy(Head.Forward(h), labels) + 0.1f * size;
    }
}

/// <summary>An Elman recurrent network over a sequence stored step after step (rows t·batch .. (t+1)·batch).</summary>
[Model]
public sealed partial class SequenceNet
{
    public Dense Input;
    public Dense Recur;
    public Dense Head;

    public SequenceNet(int inputs, int width, int classes, int seed)
    {
        var random = new Random(seed);
        Input = new Dense(inputs, width, random, xavier: true);
        Recur = new Dense(width, width, random, xavier: true);
        Head = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor sequence, int batch, int steps, int[] labels)
    {
        Tensor h = Tensor.Tanh(Input.Forward(Tensor.SliceRows(sequence, 0, batch)));
        for (int t = 0; t < steps - 1; t++)
        {
            h = Tensor.Tanh(Input.Forward(Tensor.SliceRows(sequence, (t + 1) * batch, batch)) + Recur.Forward(h));
        }

        return Tensor.SoftmaxCrossEntropy(Head.Forward(h), labels);
    }
}

/// <summary>Residual blocks in a List: the carried value is read twice per iteration (skip connection).</summary>
[Model]
public sealed partial class ResidualNet
{
    public List<Dense> Layers = new();
    public Dense Output;

    public ResidualNet(int width, int depth, int classes, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < depth; i++)
        {
            Layers.Add(new Dense(width, width, random, xavier: true));
        }

        Output = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels)
    {
        Tensor h = x * 0.5f;
        foreach (Dense layer in Layers)
        {
            h = h + Tensor.Sigmoid(layer.Forward(h));
        }

        return Tensor.SoftmaxCrossEntropy(Output.Forward(h), labels);
    }
}

[Collection(ThreadCount.Collection)]
public class LayerLoopTests
{
    /// <summary>A random batch in [-1, 1) with random labels (shared with the nested-loop tests).</summary>
    internal static (Tensor X, int[] Labels) Batch(int rows, int inputs, int classes, int seed)
    {
        var random = new Random(seed);
        var x = new Tensor(rows, inputs);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return (x, Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray());
    }

    /// <summary>Every parameter's gradient against central differences (h = 1e-2: tanh and sigmoid are smooth), 6 entries per tensor.</summary>
    internal static void CheckAgainstFiniteDifferences(ITensorSet model, ITensorSet gradient, Func<float> loss)
        => FiniteDifferences.Check(FiniteDifferences.Pairs(model, gradient), loss, samples: 6);

    [Theory]
    [InlineData(3, true)]
    [InlineData(1, false)]
    [InlineData(0, true)]
    [InlineData(-2, true)]
    public void ACountedLoopOverOneLayer_MatchesFiniteDifferences(int steps, bool training)
    {
        var model = new TiedNet(5, 3, seed: 6) { Steps = steps };
        (Tensor x, int[] labels) = Batch(4, 5, 3, 8);
        TiedNet.Gradient gradient = model.CreateGradient();
        float value = model.LossGradient(x, labels, 11, training, gradient);
        Assert.Equal(model.Loss(x, labels, 11, training), value, 5);
        CheckAgainstFiniteDifferences(model, gradient, () => model.Loss(x, labels, 11, training));
    }

    [Fact]
    public void ARecurrentNetOverTimeSteps_MatchesFiniteDifferences_ForParametersAndTheSequence()
    {
        var model = new SequenceNet(3, 5, 2, seed: 12);
        const int batch = 2, steps = 4;
        (Tensor sequence, _) = Batch(batch * steps, 3, 2, 13);
        int[] labels = { 1, 0 };
        var tape = new SequenceNet.LossTape();
        SequenceNet.Gradient gradient = model.CreateGradient();
        var dSequence = new Tensor(batch * steps, 3);
        float value = model.LossRecord(tape, sequence, batch, steps, labels);
        model.LossBackward(tape, sequence, batch, steps, labels, 1f, gradient, dSequence);
        Assert.Equal(model.Loss(sequence, batch, steps, labels), value, 5);
        CheckAgainstFiniteDifferences(model, gradient, () => model.Loss(sequence, batch, steps, labels));
        FiniteDifferences.Check(new[] { ("sequence", sequence, dSequence) }, () => model.Loss(sequence, batch, steps, labels), samples: null);
    }

    [Fact]
    public void ALoopOverAnArrayOfLayers_MatchesFiniteDifferences()
    {
        var model = new DeepNet(5, 7, 3, 4, seed: 1);
        (Tensor x, int[] labels) = Batch(6, 5, 4, 3);
        DeepNet.Gradient gradient = model.CreateGradient();
        float value = model.LossGradient(x, labels, 0.01f, gradient);
        Assert.Equal(model.Loss(x, labels, 0.01f), value, 5);
        Assert.Equal(new[] { "Blocks.0.Weight", "Blocks.0.Bias", "Blocks.1.Weight", "Blocks.1.Bias", "Blocks.2.Weight", "Blocks.2.Bias", "Head.Weight", "Head.Bias" },
            model.Parameters().Select(p => p.Name));
        CheckAgainstFiniteDifferences(model, gradient, () => model.Loss(x, labels, 0.01f));
    }

    [Fact]
    public void ResidualBlocksInAList_MatchFiniteDifferences_AndAnEmptyListIsTheIdentity()
    {
        var model = new ResidualNet(6, 3, 3, seed: 4);
        (Tensor x, int[] labels) = Batch(5, 6, 3, 5);
        ResidualNet.Gradient gradient = model.CreateGradient();
        model.LossGradient(x, labels, gradient);
        CheckAgainstFiniteDifferences(model, gradient, () => model.Loss(x, labels));

        var shallow = new ResidualNet(6, 0, 3, seed: 4);
        ResidualNet.Gradient g0 = shallow.CreateGradient();
        Assert.Equal(shallow.Loss(x, labels), shallow.LossGradient(x, labels, g0), 5);
        CheckAgainstFiniteDifferences(shallow, g0, () => shallow.Loss(x, labels));
    }

    [Fact]
    public void ALoopedModel_TrainsWithoutAllocating()
    {
        var model = new DeepNet(8, 16, 4, 3, seed: 2);
        (Tensor x, int[] labels) = Batch(32, 8, 3, 1);
        DeepNet.Gradient gradient = model.CreateGradient();
        var adam = new Adam(0.01) { ClipNorm = 5 };
        float first = model.LossGradient(x, labels, 1e-4f, gradient);
        model.Step(adam, gradient);
        for (int i = 0; i < 5; i++)
        {
            model.LossGradient(x, labels, 1e-4f, gradient);
            model.Step(adam, gradient);
        }

        // Up to three rounds of 100 steps, the last of which must allocate nothing: a step that allocates does so in
        // every round, while a one-off allocation of the runtime's on this thread (3.8 KB in one CI run, as in
        // ModelTests' zero-allocation check) lands in one round only.
        float last = 0;
        List<long> rounds = Allocation.ByRound(100, _ =>
        {
            last = model.LossGradient(x, labels, 1e-4f, gradient);
            model.Step(adam, gradient);
        });

        Assert.True(rounds[^1] == 0, $"bytes allocated by 100 steps, round by round: {string.Join(", ", rounds)}");
        Assert.True(last < first / 3, $"loss {first} -> {last}");
    }

    [Fact]
    public void TheInputAdjoint_FlowsThroughEveryFrame_WhenAsked()
    {
        var model = new DeepNet(4, 5, 3, 3, seed: 6);
        (Tensor x, int[] labels) = Batch(3, 4, 3, 8);
        var tape = new DeepNet.LossTape();
        DeepNet.Gradient gradient = model.CreateGradient();
        var dx = new Tensor(3, 4);
        model.LossRecord(tape, x, labels, 0.01f);
        model.LossBackward(tape, x, labels, 0.01f, 1f, gradient, dx);
        FiniteDifferences.Check(new[] { ("x", x, dx) }, () => model.Loss(x, labels, 0.01f), samples: null);
    }
}
