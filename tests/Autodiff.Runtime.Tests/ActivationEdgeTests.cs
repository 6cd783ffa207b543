using Autodiff.Ops;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// Activations at their kinks. ReLU's derivative at 0 (and at -0) is 0: dx += x &gt; 0 ? dy : 0, the subgradient
/// PyTorch and JAX pick. 37 values, zeros at both ends, so the vector body and the scalar tail both meet them.
/// </summary>
public class ActivationEdgeTests
{
    private static float[] WithZeros()
    {
        float[] x = Enumerable.Range(0, 37).Select(i => (i % 3 - 1) * (i + 1) * 0.25f).ToArray();
        x[0] = 0f;
        x[1] = -0f;
        x[17] = 0f;
        x[35] = -0f;
        x[36] = 0f;
        return x;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReluBackward_IsZeroAtZeroAndMinusZero(bool accumulate)
    {
        float[] x = WithZeros();
        float[] dy = Enumerable.Range(0, x.Length).Select(i => 1f + i).ToArray();
        float[] dx = Enumerable.Repeat(10f, x.Length).ToArray();
        Relu.Backward(x, dy, dx, accumulate);
        for (int i = 0; i < x.Length; i++)
        {
            float expected = (accumulate ? 10f : 0f) + (x[i] > 0 ? dy[i] : 0f);
            Assert.True(expected == dx[i], $"x[{i}] = {x[i]}: dx {dx[i]}, expected {expected}");
        }
    }

    [Fact]
    public void ReluForward_OfZeroAndMinusZero_IsZero()
    {
        float[] x = WithZeros();
        float[] y = new float[x.Length];
        Relu.Forward(x, y);
        Assert.All(new[] { 0, 1, 17, 35, 36 }, i => Assert.Equal(0f, Math.Abs(y[i])));
    }

    [Fact]
    public void TensorRelu_GradientIsZeroAtZero()
    {
        float[] values = WithZeros();
        var x = Tensor.FromArray(values, values.Length);
        var dy = Tensor.Full(1f, values.Length);
        var dx = new Tensor(values.Length);
        TensorDerivatives.ReluVjp(x, Tensor.Relu(x), dy, dx);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i] > 0 ? 1f : 0f, dx.Span[i]);
        }
    }
}
