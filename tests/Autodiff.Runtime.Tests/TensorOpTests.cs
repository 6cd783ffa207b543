using Autodiff;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// Each tensor op's VJP against central finite differences of L = Σ dy ⊙ f(x) (or dy · f(x) for float ops).
/// </summary>
/// <remarks>
/// Tolerance: the ops run in float (ε ≈ 6e-8). With step h = 1e-2 on inputs of size ~1, the central difference has
/// truncation error ~h²·|f'''| ≈ 1e-4 and rounding error ~ε·|L|/h ≈ 1e-4 for the sums here, so a gradient is
/// accepted within 3e-3 · max(1, |g|). A wrong rule (a missing factor, a transposed product, a lost broadcast sum)
/// is off by O(1). Inputs of piecewise ops are kept at least 0.05 from their kinks.
/// </remarks>
public class TensorOpTests
{
    private const double Tolerance = 3e-3;

    // Shapes with odd sizes so that the SIMD loops' tails and the GEMM edge tiles run.
    public static TheoryData<int, int> Shapes => new() { { 1, 1 }, { 3, 5 }, { 7, 17 }, { 9, 33 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Unary_ops_match_finite_differences(int rows, int columns)
    {
        var random = new Random(rows * 100 + columns);
        CheckUnary("Relu", random, rows, columns, x => Tensor.Relu(x), TensorDerivatives.ReluVjp, awayFromZero: true);
        CheckUnary("Sigmoid", random, rows, columns, x => Tensor.Sigmoid(x), TensorDerivatives.SigmoidVjp);
        CheckUnary("Tanh", random, rows, columns, x => Tensor.Tanh(x), TensorDerivatives.TanhVjp);
        CheckUnary("Exp", random, rows, columns, x => Tensor.Exp(x), TensorDerivatives.ExpVjp);
        CheckUnary("Log", random, rows, columns, x => Tensor.Log(x), TensorDerivatives.LogVjp, positive: true);
        CheckUnary("Softmax", random, rows, columns, x => Tensor.Softmax(x), TensorDerivatives.SoftmaxVjp);
        CheckUnary("LogSoftmax", random, rows, columns, x => Tensor.LogSoftmax(x), TensorDerivatives.LogSoftmaxVjp);
        CheckUnary("Negate", random, rows, columns, x => -x, TensorDerivatives.NegateVjp);
        CheckUnary("Transpose", random, rows, columns, x => Tensor.Transpose(x), TensorDerivatives.TransposeVjp);
        CheckUnary("LeakyRelu", random, rows, columns, x => Tensor.LeakyRelu(x, 0.1f), (x, y, dy, dx) => TensorDerivatives.LeakyReluVjp(x, 0.1f, y, dy, dx), awayFromZero: true);
        CheckUnary("Scale", random, rows, columns, x => x * 2.5f, (x, y, dy, dx) => TensorDerivatives.ScaleVjp(x, 2.5f, y, dy, dx));
        CheckUnary("SliceRows", random, rows, columns, x => Tensor.SliceRows(x, rows / 3, rows - rows / 3), (x, y, dy, dx) => TensorDerivatives.SliceRowsVjp(x, rows / 3, rows - rows / 3, y, dy, dx));
        CheckUnary("Reshape", random, rows, columns, x => Tensor.Reshape(x, columns, rows), (x, y, dy, dx) => TensorDerivatives.ReshapeVjp(x, columns, rows, y, dy, dx));
        CheckUnary("Dropout", random, rows, columns, x => Tensor.Dropout(x, 0.3f, 7, true), (x, y, dy, dx) => TensorDerivatives.DropoutVjp(x, 0.3f, 7, true, y, dy, dx));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Binary_ops_match_finite_differences_with_broadcasting(int rows, int columns)
    {
        var random = new Random(rows * 1000 + columns);
        foreach (int[] bShape in new[] { new[] { rows, columns }, new[] { columns }, new[] { 1, columns }, new[] { 1 } })
        {
            CheckBinary("Add", random, new[] { rows, columns }, bShape, (a, b) => a + b, TensorDerivatives.AddVjp);
            CheckBinary("Subtract", random, new[] { rows, columns }, bShape, (a, b) => a - b, TensorDerivatives.SubtractVjp);
            CheckBinary("Multiply", random, new[] { rows, columns }, bShape, (a, b) => a * b, TensorDerivatives.MultiplyVjp);
            CheckBinary("Divide", random, new[] { rows, columns }, bShape, (a, b) => a / b, TensorDerivatives.DivideVjp, positiveB: true);
            // and the broadcast operand on the left
            CheckBinary("Add (row + matrix)", random, bShape, new[] { rows, columns }, (a, b) => a + b, TensorDerivatives.AddVjp);
            CheckBinary("Divide (row / matrix)", random, bShape, new[] { rows, columns }, (a, b) => a / b, TensorDerivatives.DivideVjp, positiveB: true);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(9, 17, 33)]
    [InlineData(16, 40, 10)]
    public void MatMul_vjp_matches_finite_differences(int m, int k, int n)
    {
        var random = new Random(m * 10000 + k * 100 + n);
        CheckBinary("MatMul", random, new[] { m, k }, new[] { k, n }, Tensor.MatMul, TensorDerivatives.MatMulVjp);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Scalar_valued_ops_match_finite_differences(int rows, int columns)
    {
        var random = new Random(rows * 7 + columns);
        Tensor x = RandomTensor(random, new[] { rows, columns }, false, false);
        Tensor t = RandomTensor(random, new[] { rows, columns }, false, false);
        int[] labels = Enumerable.Range(0, rows).Select(_ => random.Next(columns)).ToArray();
        CheckScalar("Sum", x, v => Tensor.Sum(v), (v, y, dy, dv) => TensorDerivatives.SumVjp(v, y, dy, dv));
        CheckScalar("Mean", x, v => Tensor.Mean(v), (v, y, dy, dv) => TensorDerivatives.MeanVjp(v, y, dy, dv));
        CheckScalar("Mse", x, v => Tensor.Mse(v, t), (v, y, dy, dv) => TensorDerivatives.MseVjp(v, t, y, dy, dv, null));
        CheckScalar("Mse (target)", t, v => Tensor.Mse(x, v), (v, y, dy, dv) => TensorDerivatives.MseVjp(x, v, y, dy, null, dv));
        CheckScalar("SoftmaxCrossEntropy", x, v => Tensor.SoftmaxCrossEntropy(v, labels), (v, y, dy, dv) => TensorDerivatives.SoftmaxCrossEntropyVjp(v, labels, y, dy, dv));
    }

    [Fact]
    public void Softmax_cross_entropy_is_stable_for_huge_logits_and_equals_the_log_softmax_form()
    {
        var logits = Tensor.FromRows(new float[,] { { 1000f, 0f, -1000f }, { 1f, 2f, 3f } });
        int[] labels = { 0, 2 };
        float loss = Tensor.SoftmaxCrossEntropy(logits, labels);
        Assert.True(float.IsFinite(loss));
        Tensor logp = Tensor.LogSoftmax(logits);
        float expected = -(logp[0, 0] + logp[1, 2]) / 2f;
        Assert.Equal(expected, loss, 5);
        Assert.Throws<ArgumentException>(() => Tensor.SoftmaxCrossEntropy(logits, new[] { 0, 3 }));
        Assert.Throws<ArgumentException>(() => Tensor.SoftmaxCrossEntropy(logits, new[] { 0 }));
    }

    [Fact]
    public void Dropout_keeps_about_one_minus_rate_scales_the_rest_and_is_identity_in_evaluation()
    {
        Tensor x = Tensor.Full(1f, 100, 100);
        Tensor y = Tensor.Dropout(x, 0.25f, 3, training: true);
        int kept = y.Span.ToArray().Count(v => v != 0f);
        Assert.InRange(kept, 7300, 7700);
        Assert.All(y.Span.ToArray().Where(v => v != 0f), v => Assert.Equal(1f / 0.75f, v, 5));
        Assert.Equal(x.Span.ToArray(), Tensor.Dropout(x, 0.25f, 3, training: false).Span.ToArray());
        Assert.Equal(y.Span.ToArray(), Tensor.Dropout(x, 0.25f, 3, training: true).Span.ToArray());
        Assert.NotEqual(y.Span.ToArray(), Tensor.Dropout(x, 0.25f, 4, training: true).Span.ToArray());
    }

    [Fact]
    public void Bad_shapes_give_errors_that_name_them()
    {
        var a = new Tensor(2, 3);
        var b = new Tensor(4, 5);
        Assert.Contains("(2, 3) · (4, 5)", Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, b)).Message);
        Assert.Contains("cannot broadcast (2, 3) with (4, 5)", Assert.Throws<ArgumentException>(() => a + b).Message);
        Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => Tensor.Reshape(a, 4, 2));
        Assert.Contains("rows [1, 3) of (2, 3)", Assert.Throws<ArgumentException>(() => Tensor.SliceRows(a, 1, 2)).Message);
    }

    [Fact]
    public void Into_reuses_a_large_enough_tensor_and_never_writes_into_an_input()
    {
        var random = new Random(5);
        Tensor a = RandomTensor(random, new[] { 4, 6 }, false, false);
        Tensor b = RandomTensor(random, new[] { 6, 3 }, false, false);
        var buffer = new Tensor(100);
        Tensor y = Tensor.MatMul(a, b, buffer);
        Assert.Same(buffer, y);
        Assert.Equal("(4, 3)", y.ShapeText);
        Assert.Equal(Tensor.MatMul(a, b).Span.ToArray(), y.Span.ToArray());
        Tensor t = Tensor.Transpose(a, a);
        Assert.NotSame(a, t);
        Assert.Equal(a[1, 2], t[2, 1]);
    }

    [Fact]
    public void Initialisers_have_the_documented_spread_and_are_seeded()
    {
        Tensor he = Init.HeNormal(400, 300, new Random(1));
        double variance = he.Span.ToArray().Select(v => (double)v * v).Average();
        Assert.InRange(variance, 2.0 / 400 * 0.95, 2.0 / 400 * 1.05);
        Tensor xavier = Init.XavierUniform(400, 300, new Random(1));
        float limit = MathF.Sqrt(6f / 700f);
        Assert.All(xavier.Span.ToArray(), v => Assert.InRange(v, -limit, limit));
        Assert.Equal(xavier.Span.ToArray(), Init.XavierUniform(400, 300, new Random(1)).Span.ToArray());
    }

    internal static Tensor RandomTensor(Random random, int[] shape, bool awayFromZero, bool positive)
    {
        var t = new Tensor(shape);
        Span<float> s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            float v = (float)(random.NextDouble() * 2 - 1);
            if (awayFromZero && MathF.Abs(v) < 0.05f)
            {
                v = v < 0 ? v - 0.05f : v + 0.05f;
            }

            s[i] = positive ? 0.5f + MathF.Abs(v) : v;
        }

        return t;
    }

    private static void CheckUnary(string name, Random random, int rows, int columns, Func<Tensor, Tensor> f,
        Action<Tensor, Tensor, Tensor, Tensor?> vjp, bool awayFromZero = false, bool positive = false)
    {
        Tensor x = RandomTensor(random, new[] { rows, columns }, awayFromZero, positive);
        Tensor y = f(x);
        Tensor dy = RandomTensor(random, y.Shape.ToArray(), false, false);
        Tensor dx = Tensor.Full(0.25f, rows, columns); // VJPs accumulate: start from a non-zero value
        vjp(x, y, dy, dx);
        Compare(name, x, dx, 0.25f, () => Dot(dy, f(x)));
        vjp(x, y, dy, null); // null adjoints are skipped
    }

    private static void CheckBinary(string name, Random random, int[] aShape, int[] bShape, Func<Tensor, Tensor, Tensor> f,
        Action<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?> vjp, bool positiveB = false)
    {
        Tensor a = RandomTensor(random, aShape, false, false);
        Tensor b = RandomTensor(random, bShape, false, positiveB);
        Tensor y = f(a, b);
        Tensor dy = RandomTensor(random, y.Shape.ToArray(), false, false);
        Tensor da = Tensor.Full(0.25f, aShape), db = Tensor.Full(0.25f, bShape);
        vjp(a, b, y, dy, da, db);
        Compare(name + " da " + a.ShapeText + " " + b.ShapeText, a, da, 0.25f, () => Dot(dy, f(a, b)));
        Compare(name + " db " + a.ShapeText + " " + b.ShapeText, b, db, 0.25f, () => Dot(dy, f(a, b)));
        vjp(a, b, y, dy, null, null);
    }

    private static void CheckScalar(string name, Tensor x, Func<Tensor, float> f, Action<Tensor, float, float, Tensor?> vjp)
    {
        const float seed = 0.7f;
        Tensor dx = Tensor.Full(0.25f, x.Shape.ToArray());
        vjp(x, f(x), seed, dx);
        Compare(name, x, dx, 0.25f, () => seed * (double)f(x));
    }

    private static void Compare(string name, Tensor x, Tensor gradient, float offset, Func<double> loss)
    {
        const float h = 1e-2f;
        Span<float> s = x.Span;
        for (int i = 0; i < s.Length; i += Math.Max(1, s.Length / 40))
        {
            float saved = s[i];
            s[i] = saved + h;
            double plus = loss();
            s[i] = saved - h;
            double minus = loss();
            s[i] = saved;
            double fd = (plus - minus) / (2 * h);
            double g = gradient.Span[i] - offset;
            Assert.True(Math.Abs(fd - g) <= Tolerance * Math.Max(1, Math.Abs(g)),
                $"{name}: element {i}: VJP {g:G6} vs finite difference {fd:G6}");
        }
    }

    /// <summary>Σ dy ⊙ y in double (shared with the forward-mode tests).</summary>
    internal static double Dot(Tensor dy, Tensor y)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += (double)dy.Span[i] * y.Span[i];
        }

        return sum;
    }
}
