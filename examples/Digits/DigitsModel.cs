using Autodiff;
using Autodiff.Layers;

namespace Digits;

/// <summary>
/// The digit classifier: inputs → Dense → ReLU → Dense → 10 class scores. Plain C# over tensors; the generator
/// writes <c>LossGradient</c> (value and gradient of <see cref="Loss"/>), the <c>Gradient</c> type and the fused
/// optimizer <c>Step</c> (open obj/generated, or "Go to definition" in the IDE, to read them).
/// </summary>
[Model]
public sealed partial class DigitsModel
{
    public const int Classes = 10;

    /// <summary>A new model with He-initialised weights (for ReLU) from <paramref name="seed"/>.</summary>
    public DigitsModel(int inputs, int hidden, int seed)
    {
        var random = new Random(seed);
        Hidden = new Dense(inputs, hidden, random);
        Output = new Dense(hidden, Classes, random, xavier: true);
    }

    /// <summary>inputs → hidden units.</summary>
    public Dense Hidden { get; }

    /// <summary>hidden units → class scores.</summary>
    public Dense Output { get; }

    /// <summary>Class scores (logits), shape (batch, 10), for inputs of shape (batch, features).</summary>
    [Differentiable]
    public Tensor Forward(Tensor x) => Output.Forward(Tensor.Relu(Hidden.Forward(x)));

    /// <summary>Mean softmax cross-entropy of a batch (stable log-sum-exp, fused in the runtime).</summary>
    [Differentiable]
    public float Loss(Tensor x, int[] labels) => Tensor.SoftmaxCrossEntropy(Forward(x), labels);
}
