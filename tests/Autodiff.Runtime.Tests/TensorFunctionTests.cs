using Autodiff.Layers;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>Tensor functions: static [Differentiable] helpers on tensors, inlined into the model methods that call them.</summary>
public static class Activations
{
    internal static readonly float Root = MathF.Sqrt(2f / MathF.PI);

    /// <summary>GELU, tanh form.</summary>
    [Differentiable]
    public static Tensor Gelu(Tensor x)
    {
        Tensor inner = (x + Tensor.Scale(x * x * x, 0.044715f)) * Root;
        Tensor half = x * 0.5f;
        return half + half * Tensor.Tanh(inner);
    }

    [Differentiable]
    public static Tensor Swish(Tensor x, float gain) => x * Tensor.Sigmoid(x * gain);

    /// <summary>Calls another tensor function and rebinds its own parameter.</summary>
    [Differentiable]
    public static Tensor Twice(Tensor x)
    {
        x = Gelu(x);
        return Swish(x, 1.5f);
    }

    /// <summary>A float parameter that the caller computes from tensors (an active float argument).</summary>
    [Differentiable]
    public static float Weighted(float weight, Tensor w) => weight * weight * Tensor.Mean(w);

    [Differentiable]
    public static float Penalty(Tensor w, float decay)
    {
        float squares = Tensor.Sum(w * w);
        return decay * squares;
    }
}

[Model]
public sealed partial class FunctionNet
{
    public Dense Hidden;
    public Dense Output;

    public FunctionNet(int inputs, int width, int classes, int seed)
    {
        var random = new Random(seed);
        Hidden = new Dense(inputs, width, random, xavier: true);
        Output = new Dense(width, classes, random, xavier: true);
    }

    [Differentiable]
    public float Loss(Tensor x, int[] labels, float decay)
    {
        Tensor h = Activations.Twice(Hidden.Forward(x));
        float weight = Tensor.Mean(h) + 1f;
        return Tensor.SoftmaxCrossEntropy(Output.Forward(h), labels) + Activations.Penalty(Hidden.Weight, decay) + Activations.Weighted(weight, Output.Bias);
    }
}

public class TensorFunctionTests
{
    [Fact]
    public void TensorFunctions_AreInlined_AndTheModelGradientMatchesFiniteDifferences()
    {
        var model = new FunctionNet(5, 6, 3, seed: 3);
        var random = new Random(7);
        Tensor x = Init.Uniform(1f, random, 4, 5);
        int[] labels = { 0, 2, 1, 2 };
        FunctionNet.Gradient gradient = model.CreateGradient();
        float value = model.LossGradient(x, labels, 0.05f, gradient);
        Assert.Equal(model.Loss(x, labels, 0.05f), value, 5);
        FiniteDifferences.Check(FiniteDifferences.Pairs(model, gradient), () => model.Loss(x, labels, 0.05f), samples: 8);
    }

    [Fact]
    public void GeluMatchesItsAnalyticDerivative()
    {
        // d/dx GELU(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) u', u = √(2/π)(x + 0.044715 x³)
        var model = new GeluProbe();
        Tensor x = Tensor.FromArray(new[] { -3f, -1f, -0.2f, 0f, 0.3f, 1f, 2.5f }, 1, 7);
        var dx = new Tensor(1, 7);
        GeluProbe.SumTape tape = new();
        model.SumRecord(tape, x);
        model.SumBackward(tape, x, 1f, model.CreateGradient(), dx);
        for (int i = 0; i < 7; i++)
        {
            double v = x[i], u = Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v), t = Math.Tanh(u);
            double expected = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * v * v);
            Assert.Equal(expected, dx[i], 4);
        }
    }
}

[Model]
public sealed partial class GeluProbe
{
    public Tensor Unused = new(1);

    [Differentiable]
    public float Sum(Tensor x) => Tensor.Sum(Activations.Gelu(x));
}
