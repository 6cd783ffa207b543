using System;

namespace Autodiff.Layers;

/// <summary>
/// A fully connected layer, y = x · Weight + Bias, for x of shape (batch, inputs). A <see cref="ModelAttribute"/>
/// itself, so models compose it as a field and its gradient nests in theirs (<c>gradient.Hidden.Weight</c>).
/// </summary>
[Model]
public sealed partial class Dense
{
    /// <summary>Creates the layer with He-normal weights (for ReLU networks) or Xavier-uniform ones, and zero bias.</summary>
    public Dense(int inputs, int outputs, Random random, bool xavier = false)
    {
        ArgumentNullException.ThrowIfNull(random);
        Weight = xavier ? Init.XavierUniform(inputs, outputs, random) : Init.HeNormal(inputs, outputs, random);
        Bias = new Tensor(outputs);
    }

    /// <summary>Weights, shape (inputs, outputs).</summary>
    public Tensor Weight { get; }

    /// <summary>Bias, shape (outputs,), added to every row.</summary>
    public Tensor Bias { get; }

    /// <summary>x · Weight + Bias.</summary>
    [Differentiable]
    public Tensor Forward(Tensor x) => Tensor.MatMul(x, Weight) + Bias;
}
