using Autodiff;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// Each tensor op's JVP (forward mode) against central finite differences along the tangent,
/// (f(x + h·t) - f(x - h·t)) / 2h, and against its VJP through the adjoint identity ⟨dy, J t⟩ = ⟨Jᵀ dy, t⟩.
/// </summary>
/// <remarks>
/// Tolerances: the finite difference is TensorOpTests' (3e-3 relative, h = 1e-2, piecewise ops kept 0.05 from their
/// kinks, which a step of h · |t| ≤ 1e-2 does not cross). The identity compares two float computations of the same
/// sum of about n terms of size ~1, each rounded at ε ≈ 6e-8: 1e-4 · max(1, |sum|) is far above their rounding and
/// far below a wrong rule (off by O(1)). The VJPs themselves are checked against finite differences in TensorOpTests.
/// </remarks>
public class TensorJvpTests
{
    private delegate Tensor? Jvp(Tensor[] args, Tensor y, Tensor?[] tangents);

    private delegate void Vjp(Tensor[] args, Tensor y, Tensor dy, Tensor?[] adjoints);

    public static TheoryData<int, int> Shapes => TensorOpTests.Shapes;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Unary_op_jvps_match_finite_differences_and_their_vjps(int rows, int columns)
    {
        var random = new Random(rows * 31 + columns);
        int[] shape = { rows, columns };
        Unary("Relu", random, shape, Tensor.Relu, TensorDerivatives.ReluJvp, TensorDerivatives.ReluVjp, awayFromZero: true);
        Unary("LeakyRelu", random, shape, x => Tensor.LeakyRelu(x, 0.1f), (x, y, t) => TensorDerivatives.LeakyReluJvp(x, 0.1f, y, t),
            (x, y, dy, dx) => TensorDerivatives.LeakyReluVjp(x, 0.1f, y, dy, dx), awayFromZero: true);
        Unary("Sigmoid", random, shape, Tensor.Sigmoid, TensorDerivatives.SigmoidJvp, TensorDerivatives.SigmoidVjp);
        Unary("Tanh", random, shape, Tensor.Tanh, TensorDerivatives.TanhJvp, TensorDerivatives.TanhVjp);
        Unary("Exp", random, shape, Tensor.Exp, TensorDerivatives.ExpJvp, TensorDerivatives.ExpVjp);
        Unary("Log", random, shape, Tensor.Log, TensorDerivatives.LogJvp, TensorDerivatives.LogVjp, positive: true);
        Unary("Softmax", random, shape, Tensor.Softmax, TensorDerivatives.SoftmaxJvp, TensorDerivatives.SoftmaxVjp);
        Unary("LogSoftmax", random, shape, Tensor.LogSoftmax, TensorDerivatives.LogSoftmaxJvp, TensorDerivatives.LogSoftmaxVjp);
        Unary("Negate", random, shape, Tensor.Negate, TensorDerivatives.NegateJvp, TensorDerivatives.NegateVjp);
        Unary("Transpose", random, shape, Tensor.Transpose, TensorDerivatives.TransposeJvp, TensorDerivatives.TransposeVjp);
        Unary("Scale", random, shape, x => x * 2.5f, (x, y, t) => TensorDerivatives.ScaleJvp(x, 2.5f, y, t), (x, y, dy, dx) => TensorDerivatives.ScaleVjp(x, 2.5f, y, dy, dx));
        Unary("Scale (s · x)", random, shape, x => 2.5f * x, (x, y, t) => TensorDerivatives.ScaleJvp(2.5f, x, y, t), (x, y, dy, dx) => TensorDerivatives.ScaleVjp(2.5f, x, y, dy, dx));
        Unary("SliceRows", random, shape, x => Tensor.SliceRows(x, rows / 3, rows - rows / 3), (x, y, t) => TensorDerivatives.SliceRowsJvp(x, rows / 3, rows - rows / 3, y, t),
            (x, y, dy, dx) => TensorDerivatives.SliceRowsVjp(x, rows / 3, rows - rows / 3, y, dy, dx));
        Unary("Reshape", random, shape, x => Tensor.Reshape(x, columns, rows), (x, y, t) => TensorDerivatives.ReshapeJvp(x, columns, rows, y, t),
            (x, y, dy, dx) => TensorDerivatives.ReshapeVjp(x, columns, rows, y, dy, dx));
        Unary("Dropout", random, shape, x => Tensor.Dropout(x, 0.3f, 7, true), (x, y, t) => TensorDerivatives.DropoutJvp(x, 0.3f, 7, true, y, t),
            (x, y, dy, dx) => TensorDerivatives.DropoutVjp(x, 0.3f, 7, true, y, dy, dx));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Binary_op_jvps_match_with_broadcasting_and_missing_tangents(int rows, int columns)
    {
        var random = new Random(rows * 1009 + columns);
        int[] matrix = { rows, columns };
        foreach (int[] other in new[] { matrix, new[] { columns }, new[] { 1, columns }, new[] { 1 } })
        {
            foreach ((int[] a, int[] b) in new[] { (matrix, other), (other, matrix) })
            {
                Binary("Add", random, a, b, Tensor.Add, TensorDerivatives.AddJvp, TensorDerivatives.AddVjp);
                Binary("Subtract", random, a, b, Tensor.Subtract, TensorDerivatives.SubtractJvp, TensorDerivatives.SubtractVjp);
                Binary("Multiply", random, a, b, Tensor.Multiply, TensorDerivatives.MultiplyJvp, TensorDerivatives.MultiplyVjp);
                Binary("Divide", random, a, b, Tensor.Divide, TensorDerivatives.DivideJvp, TensorDerivatives.DivideVjp, positiveB: true);
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(9, 17, 33)]
    public void MatMul_jvp_matches(int m, int k, int n)
        => Binary("MatMul", new Random(m * 7 + k * 3 + n), new[] { m, k }, new[] { k, n }, Tensor.MatMul, TensorDerivatives.MatMulJvp, TensorDerivatives.MatMulVjp);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Jvps_write_into_the_tensor_they_are_given_and_never_into_their_inputs(int rows, int columns)
    {
        var random = new Random(rows * 71 + columns);
        int[] matrix = { rows, columns };
        Tensor a = TensorOpTests.RandomTensor(random, matrix, awayFromZero: true, positive: true);
        Tensor ta = TensorOpTests.RandomTensor(random, matrix, awayFromZero: false, positive: false);
        Tensor row = TensorOpTests.RandomTensor(random, new[] { 1, columns }, awayFromZero: true, positive: true);
        Tensor trow = TensorOpTests.RandomTensor(random, new[] { 1, columns }, awayFromZero: false, positive: false);
        Tensor square = TensorOpTests.RandomTensor(random, new[] { columns, columns }, awayFromZero: true, positive: false);
        Tensor tsquare = TensorOpTests.RandomTensor(random, new[] { columns, columns }, awayFromZero: false, positive: false);
        var rules = new (string Name, Tensor Y, Func<Tensor?, Tensor?> Jvp)[]
        {
            ("MatMul", Tensor.MatMul(a, square), into => TensorDerivatives.MatMulJvp(a, square, Tensor.MatMul(a, square), ta, tsquare, into)),
            ("MatMul (ta only)", Tensor.MatMul(a, square), into => TensorDerivatives.MatMulJvp(a, square, Tensor.MatMul(a, square), ta, null, into)),
            ("Add (row)", Tensor.Add(a, row), into => TensorDerivatives.AddJvp(a, row, Tensor.Add(a, row), ta, trow, into)),
            ("Add (row, its tangent only)", Tensor.Add(a, row), into => TensorDerivatives.AddJvp(a, row, Tensor.Add(a, row), null, trow, into == ta ? null : into)),
            ("Subtract", Tensor.Subtract(row, a), into => TensorDerivatives.SubtractJvp(row, a, Tensor.Subtract(row, a), trow, ta, into)),
            ("Multiply (row)", Tensor.Multiply(a, row), into => TensorDerivatives.MultiplyJvp(a, row, Tensor.Multiply(a, row), ta, trow, into)),
            ("Multiply", Tensor.Multiply(a, a), into => TensorDerivatives.MultiplyJvp(a, a, Tensor.Multiply(a, a), ta, ta, into)),
            ("Divide (row)", Tensor.Divide(a, row), into => TensorDerivatives.DivideJvp(a, row, Tensor.Divide(a, row), ta, trow, into)),
            ("Scale", Tensor.Scale(a, 2f), into => TensorDerivatives.ScaleJvp(a, 2f, Tensor.Scale(a, 2f), ta, into)),
            ("Negate", Tensor.Negate(a), into => TensorDerivatives.NegateJvp(a, Tensor.Negate(a), ta, into)),
            ("Relu", Tensor.Relu(a), into => TensorDerivatives.ReluJvp(a, Tensor.Relu(a), ta, into)),
            ("Sigmoid", Tensor.Sigmoid(a), into => TensorDerivatives.SigmoidJvp(a, Tensor.Sigmoid(a), ta, into)),
            ("Tanh", Tensor.Tanh(a), into => TensorDerivatives.TanhJvp(a, Tensor.Tanh(a), ta, into)),
            ("Exp", Tensor.Exp(a), into => TensorDerivatives.ExpJvp(a, Tensor.Exp(a), ta, into)),
            ("Log", Tensor.Log(a), into => TensorDerivatives.LogJvp(a, Tensor.Log(a), ta, into)),
            ("Softmax", Tensor.Softmax(a), into => TensorDerivatives.SoftmaxJvp(a, Tensor.Softmax(a), ta, into)),
            ("LogSoftmax", Tensor.LogSoftmax(a), into => TensorDerivatives.LogSoftmaxJvp(a, Tensor.LogSoftmax(a), ta, into)),
            ("Transpose", Tensor.Transpose(a), into => TensorDerivatives.TransposeJvp(a, Tensor.Transpose(a), ta, into)),
            ("Reshape", Tensor.Reshape(a, columns, rows), into => TensorDerivatives.ReshapeJvp(a, columns, rows, Tensor.Reshape(a, columns, rows), ta, into)),
            ("Dropout", Tensor.Dropout(a, 0.3f, 5, true), into => TensorDerivatives.DropoutJvp(a, 0.3f, 5, true, Tensor.Dropout(a, 0.3f, 5, true), ta, into)),
        };
        float[] taBefore = ta.Span.ToArray(), trowBefore = trow.Span.ToArray();
        foreach ((string name, Tensor y, Func<Tensor?, Tensor?> jvp) in rules)
        {
            Tensor expected = jvp(null)!;
            var into = Tensor.Full(float.NaN, y.Rows, y.Columns);
            Tensor got = jvp(into)!;
            Assert.Same(into, got);
            Assert.True(got.Span.SequenceEqual(expected.Span), $"{name}: the tangent written into a tensor differs from a new one");
            Assert.False(ReferenceEquals(ta, jvp(ta)), $"{name}: wrote into the tangent it was given");
        }

        Assert.Equal(taBefore, ta.Span.ToArray());
        Assert.Equal(trowBefore, trow.Span.ToArray());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_valued_op_jvps_are_the_gradient_along_the_tangent(int rows, int columns)
    {
        var random = new Random(rows * 13 + columns);
        int[] shape = { rows, columns };
        Tensor x = TensorOpTests.RandomTensor(random, shape, false, false), target = TensorOpTests.RandomTensor(random, shape, false, false);
        Tensor tx = TensorOpTests.RandomTensor(random, shape, false, false), ttarget = TensorOpTests.RandomTensor(random, shape, false, false);
        int[] labels = Enumerable.Range(0, rows).Select(_ => random.Next(columns)).ToArray();
        Scalar("Sum", v => Tensor.Sum(v), x, tx, TensorDerivatives.SumJvp(x, Tensor.Sum(x), tx));
        Scalar("Mean", v => Tensor.Mean(v), x, tx, TensorDerivatives.MeanJvp(x, Tensor.Mean(x), tx));
        Scalar("SoftmaxCrossEntropy", v => Tensor.SoftmaxCrossEntropy(v, labels), x, tx, TensorDerivatives.SoftmaxCrossEntropyJvp(x, labels, 0f, tx));
        Scalar("Mse (prediction)", v => Tensor.Mse(v, target), x, tx, TensorDerivatives.MseJvp(x, target, 0f, tx, null));
        Scalar("Mse (target)", v => Tensor.Mse(x, v), target, ttarget, TensorDerivatives.MseJvp(x, target, 0f, null, ttarget));

        // Both tangents at once: the sum of the two directions.
        float both = TensorDerivatives.MseJvp(x, target, 0f, tx, ttarget);
        Assert.Equal(TensorDerivatives.MseJvp(x, target, 0f, tx, null) + TensorDerivatives.MseJvp(x, target, 0f, null, ttarget), both, 4);
        Assert.Equal(0f, TensorDerivatives.SumJvp(x, 0f, null));
        Assert.Equal(0f, TensorDerivatives.SoftmaxCrossEntropyJvp(x, labels, 0f, null));
    }

    private static void Unary(string name, Random random, int[] shape, Func<Tensor, Tensor> f, Func<Tensor, Tensor, Tensor?, Tensor?> jvp,
        Action<Tensor, Tensor, Tensor, Tensor?> vjp, bool awayFromZero = false, bool positive = false)
        => Check(name, random, new[] { shape }, new[] { awayFromZero }, new[] { positive }, a => f(a[0]), (a, y, t) => jvp(a[0], y, t[0]), (a, y, dy, d) => vjp(a[0], y, dy, d[0]));

    private static void Binary(string name, Random random, int[] aShape, int[] bShape, Func<Tensor, Tensor, Tensor> f,
        Func<Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor?> jvp, Action<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?> vjp, bool positiveB = false)
        => Check(name, random, new[] { aShape, bShape }, new[] { false, false }, new[] { false, positiveB }, a => f(a[0], a[1]),
            (a, y, t) => jvp(a[0], a[1], y, t[0], t[1]), (a, y, dy, d) => vjp(a[0], a[1], y, dy, d[0], d[1]));

    /// <summary>
    /// The JVP with every tangent, then with each tangent alone (the others null), against finite differences along
    /// the tangents and against the VJP; all tangents null gives null.
    /// </summary>
    private static void Check(string name, Random random, int[][] shapes, bool[] awayFromZero, bool[] positive, Func<Tensor[], Tensor> f, Jvp jvp, Vjp vjp)
    {
        Tensor[] args = shapes.Select((s, i) => TensorOpTests.RandomTensor(random, s, awayFromZero[i], positive[i])).ToArray();
        Tensor[] tangents = shapes.Select(s => TensorOpTests.RandomTensor(random, s, false, false)).ToArray();
        Tensor y = f(args);
        Tensor dy = TensorOpTests.RandomTensor(random, y.Shape.ToArray(), false, false);
        Assert.Null(jvp(args, y, new Tensor?[args.Length]));
        for (int only = -1; only < args.Length; only++)
        {
            Tensor?[] given = tangents.Select((t, i) => only < 0 || i == only ? t : null).ToArray();
            string label = $"{name} {string.Join(" ", args.Select(a => a.ShapeText))} tangent {(only < 0 ? "all" : "#" + only)}";
            Tensor ty = jvp(args, y, given) ?? throw new Xunit.Sdk.XunitException(label + ": null tangent");
            Assert.True(y.SameShape(ty), $"{label}: tangent {ty.ShapeText}, value {y.ShapeText}");

            // finite differences along the tangents
            const float h = 1e-2f;
            Tensor plus = f(Shifted(args, given, h)), minus = f(Shifted(args, given, -h));
            for (int i = 0; i < ty.Length; i += Math.Max(1, ty.Length / 40))
            {
                double fd = (plus.Span[i] - (double)minus.Span[i]) / (2 * h);
                Assert.True(Math.Abs(fd - ty.Span[i]) <= 3e-3 * Math.Max(1, Math.Abs(fd)), $"{label}: element {i}: JVP {ty.Span[i]:G6} vs finite difference {fd:G6}");
            }

            // ⟨dy, J t⟩ = ⟨Jᵀ dy, t⟩
            Tensor?[] adjoints = given.Select((t, i) => t is null ? null : new Tensor(shapes[i])).ToArray();
            vjp(args, y, dy, adjoints);
            double left = TensorOpTests.Dot(dy, ty), right = adjoints.Select((a, i) => a is null ? 0 : TensorOpTests.Dot(a, tangents[i])).Sum();
            Assert.True(Math.Abs(left - right) <= 1e-4 * Math.Max(1, Math.Abs(left)), $"{label}: <dy, J t> = {left:G8} but <J^T dy, t> = {right:G8}");
        }
    }

    private static void Scalar(string name, Func<Tensor, float> f, Tensor x, Tensor t, float jvp)
    {
        const float h = 1e-2f;
        double fd = (f(Shifted(new[] { x }, new Tensor?[] { t }, h)[0]) - (double)f(Shifted(new[] { x }, new Tensor?[] { t }, -h)[0])) / (2 * h);
        Assert.True(Math.Abs(fd - jvp) <= 3e-3 * Math.Max(1, Math.Abs(fd)), $"{name}: JVP {jvp:G6} vs finite difference {fd:G6}");
    }

    private static Tensor[] Shifted(Tensor[] args, Tensor?[] tangents, float h)
        => args.Select((a, i) => tangents[i] is { } t ? a + t * h : a).ToArray();
}
