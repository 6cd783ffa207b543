using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// <see cref="Tensor.ClearDeferred"/>: generated backward passes clear adjoints lazily and the derivative kernels
/// overwrite instead of adding on the first write. Each kernel must give exactly what an eager clear gives, and a
/// second write must add.
/// </summary>
public class DeferredClearTests
{
    [Fact]
    public void ADeferredClear_ReadsAsZeros()
    {
        var t = new Tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        t.ClearDeferred();
        Assert.Equal(0f, t[1, 2]);
        Assert.All(t.Span.ToArray(), v => Assert.Equal(0f, v));
        t.Span[0] = 7;
        Assert.Equal(7f, t.Span[0]); // materialised once, not again on the next access
    }

    public static IEnumerable<object[]> Kernels() => new[] { "matmul-da", "matmul-db", "add", "bias", "subtract-bias", "scalar", "relu", "cross-entropy", "tanh" }.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryKernel_OverwritesADeferredClearedAdjoint_AndAddsAfterwards(string kernel)
    {
        var random = new Random(kernel.Length);
        Tensor a = TensorOpTests.RandomTensor(random, new[] { 7, 13 }, false, false);
        Tensor w = TensorOpTests.RandomTensor(random, new[] { 13, 5 }, false, false);
        Tensor bias = TensorOpTests.RandomTensor(random, new[] { 13 }, false, false);
        Tensor same = TensorOpTests.RandomTensor(random, new[] { 7, 13 }, false, false);
        Tensor scalar = TensorOpTests.RandomTensor(random, new[] { 1 }, false, false);
        int[] labels = Enumerable.Range(0, 7).Select(i => i % 13).ToArray();
        (Tensor Target, Action<Tensor> Vjp) pick = kernel switch
        {
            "matmul-da" => (a, d => TensorDerivatives.MatMulVjp(a, w, Tensor.MatMul(a, w), Ones(7, 5, random), d, null)),
            "matmul-db" => (w, d => TensorDerivatives.MatMulVjp(a, w, Tensor.MatMul(a, w), Ones(7, 5, random), null, d)),
            "add" => (same, d => TensorDerivatives.AddVjp(a, same, a + same, Ones(7, 13, random), null, d)),
            "bias" => (bias, d => TensorDerivatives.AddVjp(a, bias, a + bias, Ones(7, 13, random), null, d)),
            "subtract-bias" => (bias, d => TensorDerivatives.SubtractVjp(a, bias, a - bias, Ones(7, 13, random), null, d)),
            "scalar" => (scalar, d => TensorDerivatives.AddVjp(a, scalar, a + scalar, Ones(7, 13, random), null, d)),
            "relu" => (a, d => TensorDerivatives.ReluVjp(a, Tensor.Relu(a), Ones(7, 13, random), d)),
            "cross-entropy" => (a, d => TensorDerivatives.SoftmaxCrossEntropyVjp(a, labels, Tensor.SoftmaxCrossEntropy(a, labels), 1.5f, d)),
            _ => (a, d => TensorDerivatives.TanhVjp(a, Tensor.Tanh(a), Ones(7, 13, random), d)),
        };

        var eager = Tensor.ZerosLike(pick.Target);
        random = new Random(3);
        pick.Vjp(eager);

        var deferred = Tensor.ZerosLike(pick.Target);
        deferred.Span.Fill(123f); // stale values that must not leak into the result
        deferred.ClearDeferred();
        random = new Random(3);
        pick.Vjp(deferred);
        Assert.Equal(eager.Span.ToArray(), deferred.Span.ToArray());

        random = new Random(3);
        pick.Vjp(deferred); // a second contribution adds
        float[] twice = deferred.Span.ToArray();
        for (int i = 0; i < twice.Length; i++)
        {
            // Not bitwise: a reduction (the bias sums) adds row by row onto the first contribution.
            Assert.Equal(2 * eager.Span[i], twice[i], 1e-5f * Math.Max(1f, Math.Abs(twice[i])));
        }
    }

    private static Tensor Ones(int rows, int columns, Random random)
    {
        var t = new Tensor(rows, columns);
        for (int i = 0; i < t.Length; i++)
        {
            t.Span[i] = (float)(random.NextDouble() - 0.5);
        }

        return t;
    }
}
