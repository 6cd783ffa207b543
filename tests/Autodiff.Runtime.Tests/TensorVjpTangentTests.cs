using Autodiff;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// Each tensor op's VJP tangent (forward mode of its VJP, what Hessian-vector products of models run) against central
/// finite differences of the VJP itself: (VJP(a + h·ta, dy + h·tdy) - VJP(a - h·ta, dy - h·tdy)) / 2h, with every
/// tangent, with each alone, into destinations that already hold values (the rules add) and into deferred-cleared ones.
/// </summary>
/// <remarks>
/// Tolerances: TensorJvpTests' (3e-3 relative, h = 1e-2, piecewise ops kept 0.05 from their kinks). The VJP is smooth
/// in its inputs wherever the op is twice differentiable, and linear in dy, so the difference's truncation error is h²
/// times a third derivative of the op, as for the JVPs.
/// </remarks>
public class TensorVjpTangentTests
{
    private delegate void Vjp(Tensor[] args, Tensor y, Tensor dy, Tensor?[] adjoints);

    private delegate void VjpTangent(Tensor[] args, Tensor y, Tensor dy, Tensor?[] tangents, Tensor? tdy, Tensor?[] adjointTangents);

    public static TheoryData<int, int> Shapes => TensorOpTests.Shapes;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Unary_op_vjp_tangents_match_finite_differences_of_their_vjps(int rows, int columns)
    {
        var random = new Random(rows * 37 + columns);
        int[] shape = { rows, columns };
        Unary("Relu", random, shape, Tensor.Relu, TensorDerivatives.ReluVjp, TensorDerivatives.ReluVjpTangent, awayFromZero: true);
        Unary("LeakyRelu", random, shape, x => Tensor.LeakyRelu(x, 0.1f), (x, y, dy, dx) => TensorDerivatives.LeakyReluVjp(x, 0.1f, y, dy, dx),
            (x, y, dy, tx, tdy, tdx) => TensorDerivatives.LeakyReluVjpTangent(x, 0.1f, y, dy, tx, tdy, tdx), awayFromZero: true);
        Unary("Sigmoid", random, shape, Tensor.Sigmoid, TensorDerivatives.SigmoidVjp, TensorDerivatives.SigmoidVjpTangent);
        Unary("Tanh", random, shape, Tensor.Tanh, TensorDerivatives.TanhVjp, TensorDerivatives.TanhVjpTangent);
        Unary("Exp", random, shape, Tensor.Exp, TensorDerivatives.ExpVjp, TensorDerivatives.ExpVjpTangent);
        Unary("Log", random, shape, Tensor.Log, TensorDerivatives.LogVjp, TensorDerivatives.LogVjpTangent, positive: true);
        Unary("Softmax", random, shape, Tensor.Softmax, TensorDerivatives.SoftmaxVjp, TensorDerivatives.SoftmaxVjpTangent);
        Unary("LogSoftmax", random, shape, Tensor.LogSoftmax, TensorDerivatives.LogSoftmaxVjp, TensorDerivatives.LogSoftmaxVjpTangent);
        Unary("Negate", random, shape, Tensor.Negate, TensorDerivatives.NegateVjp, TensorDerivatives.NegateVjpTangent);
        Unary("Transpose", random, shape, Tensor.Transpose, TensorDerivatives.TransposeVjp, TensorDerivatives.TransposeVjpTangent);
        Unary("Scale", random, shape, x => x * 2.5f, (x, y, dy, dx) => TensorDerivatives.ScaleVjp(x, 2.5f, y, dy, dx),
            (x, y, dy, tx, tdy, tdx) => TensorDerivatives.ScaleVjpTangent(x, 2.5f, y, dy, tx, tdy, tdx));
        Unary("Scale (s · x)", random, shape, x => 2.5f * x, (x, y, dy, dx) => TensorDerivatives.ScaleVjp(2.5f, x, y, dy, dx),
            (x, y, dy, tx, tdy, tdx) => TensorDerivatives.ScaleVjpTangent(2.5f, x, y, dy, tx, tdy, tdx));
        Unary("SliceRows", random, shape, x => Tensor.SliceRows(x, rows / 3, rows - rows / 3), (x, y, dy, dx) => TensorDerivatives.SliceRowsVjp(x, rows / 3, rows - rows / 3, y, dy, dx),
            (x, y, dy, tx, tdy, tdx) => TensorDerivatives.SliceRowsVjpTangent(x, rows / 3, rows - rows / 3, y, dy, tx, tdy, tdx));
        Unary("Reshape", random, shape, x => Tensor.Reshape(x, columns, rows), (x, y, dy, dx) => TensorDerivatives.ReshapeVjp(x, columns, rows, y, dy, dx),
            (x, y, dy, tx, tdy, tdx) => TensorDerivatives.ReshapeVjpTangent(x, columns, rows, y, dy, tx, tdy, tdx));
        Unary("Dropout", random, shape, x => Tensor.Dropout(x, 0.3f, 7, true), (x, y, dy, dx) => TensorDerivatives.DropoutVjp(x, 0.3f, 7, true, y, dy, dx),
            (x, y, dy, tx, tdy, tdx) => TensorDerivatives.DropoutVjpTangent(x, 0.3f, 7, true, y, dy, tx, tdy, tdx));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Binary_op_vjp_tangents_match_with_broadcasting(int rows, int columns)
    {
        var random = new Random(rows * 2003 + columns);
        int[] matrix = { rows, columns };
        foreach (int[] other in new[] { matrix, new[] { columns }, new[] { 1, columns }, new[] { 1 } })
        {
            foreach ((int[] a, int[] b) in new[] { (matrix, other), (other, matrix) })
            {
                Binary("Add", random, a, b, Tensor.Add, TensorDerivatives.AddVjp, TensorDerivatives.AddVjpTangent);
                Binary("Subtract", random, a, b, Tensor.Subtract, TensorDerivatives.SubtractVjp, TensorDerivatives.SubtractVjpTangent);
                Binary("Multiply", random, a, b, Tensor.Multiply, TensorDerivatives.MultiplyVjp, TensorDerivatives.MultiplyVjpTangent);
                Binary("Divide", random, a, b, Tensor.Divide, TensorDerivatives.DivideVjp, TensorDerivatives.DivideVjpTangent, positiveB: true);
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(9, 17, 33)]
    public void MatMul_vjp_tangent_matches(int m, int k, int n)
        => Binary("MatMul", new Random(m * 11 + k * 5 + n), new[] { m, k }, new[] { k, n }, Tensor.MatMul, TensorDerivatives.MatMulVjp, TensorDerivatives.MatMulVjpTangent);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_valued_op_vjp_tangents_match(int rows, int columns)
    {
        var random = new Random(rows * 17 + columns);
        int[] shape = { rows, columns };
        int[] labels = Enumerable.Range(0, rows).Select(_ => random.Next(columns)).ToArray();
        Tensor target = TensorOpTests.RandomTensor(random, shape, false, false);
        Scalar("Sum", random, new[] { shape }, a => Tensor.Sum(a[0]), (a, l, dl, d) => TensorDerivatives.SumVjp(a[0], l, dl, d[0]),
            (a, l, dl, t, tdl, td) => TensorDerivatives.SumVjpTangent(a[0], l, dl, t[0], tdl, td[0]));
        Scalar("Mean", random, new[] { shape }, a => Tensor.Mean(a[0]), (a, l, dl, d) => TensorDerivatives.MeanVjp(a[0], l, dl, d[0]),
            (a, l, dl, t, tdl, td) => TensorDerivatives.MeanVjpTangent(a[0], l, dl, t[0], tdl, td[0]));
        Scalar("SoftmaxCrossEntropy", random, new[] { shape }, a => Tensor.SoftmaxCrossEntropy(a[0], labels),
            (a, l, dl, d) => TensorDerivatives.SoftmaxCrossEntropyVjp(a[0], labels, l, dl, d[0]),
            (a, l, dl, t, tdl, td) => TensorDerivatives.SoftmaxCrossEntropyVjpTangent(a[0], labels, l, dl, t[0], tdl, td[0]));
        Scalar("Mse", random, new[] { shape, shape }, a => Tensor.Mse(a[0], a[1]), (a, l, dl, d) => TensorDerivatives.MseVjp(a[0], a[1], l, dl, d[0], d[1]),
            (a, l, dl, t, tdl, td) => TensorDerivatives.MseVjpTangent(a[0], a[1], l, dl, t[0], t[1], tdl, td[0], td[1]));
    }

    [Fact]
    public void A_deferred_cleared_destination_is_overwritten_and_null_ones_are_skipped()
    {
        var random = new Random(5);
        Tensor a = TensorOpTests.RandomTensor(random, new[] { 4, 3 }, false, false), b = TensorOpTests.RandomTensor(random, new[] { 3, 5 }, false, false);
        Tensor y = Tensor.MatMul(a, b), dy = TensorOpTests.RandomTensor(random, new[] { 4, 5 }, false, false);
        Tensor ta = TensorOpTests.RandomTensor(random, new[] { 4, 3 }, false, false), tdy = TensorOpTests.RandomTensor(random, new[] { 4, 5 }, false, false);
        var fresh = new Tensor(4, 3);
        TensorDerivatives.MatMulVjpTangent(a, b, y, dy, ta, null, tdy, fresh, null);
        Tensor stale = Tensor.Full(9f, 4, 3);
        stale.ClearDeferred();
        TensorDerivatives.MatMulVjpTangent(a, b, y, dy, ta, null, tdy, stale, null);
        Assert.Equal(fresh.Span.ToArray(), stale.Span.ToArray());
    }

    private static void Unary(string name, Random random, int[] shape, Func<Tensor, Tensor> f, Action<Tensor, Tensor, Tensor, Tensor?> vjp,
        Action<Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor?> vjpTangent, bool awayFromZero = false, bool positive = false)
        => Check(name, random, new[] { shape }, new[] { awayFromZero }, new[] { positive }, a => f(a[0]), (a, y, dy, d) => vjp(a[0], y, dy, d[0]),
            (a, y, dy, t, tdy, td) => vjpTangent(a[0], y, dy, t[0], tdy, td[0]));

    private static void Binary(string name, Random random, int[] aShape, int[] bShape, Func<Tensor, Tensor, Tensor> f,
        Action<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?> vjp, Action<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, Tensor?> vjpTangent, bool positiveB = false)
        => Check(name, random, new[] { aShape, bShape }, new[] { false, false }, new[] { false, positiveB }, a => f(a[0], a[1]),
            (a, y, dy, d) => vjp(a[0], a[1], y, dy, d[0], d[1]), (a, y, dy, t, tdy, td) => vjpTangent(a[0], a[1], y, dy, t[0], t[1], tdy, td[0], td[1]));

    /// <summary>
    /// With every tangent, each input tangent alone, and the adjoint's tangent alone: the rule, added to destinations
    /// holding random values, against finite differences of the VJP along the same tangents.
    /// </summary>
    private static void Check(string name, Random random, int[][] shapes, bool[] awayFromZero, bool[] positive, Func<Tensor[], Tensor> f, Vjp vjp, VjpTangent rule)
    {
        Tensor[] args = shapes.Select((s, i) => TensorOpTests.RandomTensor(random, s, awayFromZero[i], positive[i])).ToArray();
        Tensor[] tangents = shapes.Select(s => TensorOpTests.RandomTensor(random, s, false, false)).ToArray();
        Tensor y = f(args);
        int[] yShape = y.Shape.ToArray();
        Tensor dy = TensorOpTests.RandomTensor(random, yShape, false, false), tdy = TensorOpTests.RandomTensor(random, yShape, false, false);
        for (int only = -2; only < args.Length; only++)
        {
            // -2: every tangent; -1: the adjoint's alone; i: input i's alone
            Tensor?[] given = tangents.Select((t, i) => only == -2 || i == only ? t : null).ToArray();
            Tensor? givenTdy = only < 0 ? tdy : null;
            string label = $"{name} {string.Join(" ", args.Select(a => a.ShapeText))} tangent {(only == -2 ? "all" : only == -1 ? "of dy" : "#" + only)}";
            Tensor[] start = shapes.Select(s => TensorOpTests.RandomTensor(random, s, false, false)).ToArray();
            Tensor?[] result = start.Select(s => (Tensor?)s.Clone()).ToArray();
            rule(args, y, dy, given, givenTdy, result);

            const float h = 1e-2f;
            Tensor?[] plus = VjpAt(h), minus = VjpAt(-h);
            for (int k = 0; k < args.Length; k++)
            {
                for (int i = 0; i < start[k].Length; i += Math.Max(1, start[k].Length / 40))
                {
                    double fd = (plus[k]!.Span[i] - (double)minus[k]!.Span[i]) / (2 * h);
                    double added = result[k]!.Span[i] - (double)start[k].Span[i];
                    Assert.True(Math.Abs(fd - added) <= 3e-3 * Math.Max(1, Math.Abs(fd)), $"{label}: adjoint {k} element {i}: VJP tangent {added:G6} vs finite difference {fd:G6}");
                }
            }

            Tensor?[] VjpAt(float step)
            {
                Tensor[] shifted = args.Select((a, i) => given[i] is { } t ? a + t * step : a).ToArray();
                Tensor shiftedDy = givenTdy is null ? dy : dy + givenTdy * step;
                Tensor?[] adjoints = shapes.Select(s => (Tensor?)new Tensor(s)).ToArray();
                vjp(shifted, f(shifted), shiftedDy, adjoints);
                return adjoints;
            }
        }
    }

    private static void Scalar(string name, Random random, int[][] shapes, Func<Tensor[], float> f, Action<Tensor[], float, float, Tensor?[]> vjp,
        Action<Tensor[], float, float, Tensor?[], float, Tensor?[]> rule)
    {
        Tensor[] args = shapes.Select(s => TensorOpTests.RandomTensor(random, s, false, false)).ToArray();
        Tensor[] tangents = shapes.Select(s => TensorOpTests.RandomTensor(random, s, false, false)).ToArray();
        const float dLoss = 0.7f, tdLoss = -1.3f, h = 1e-2f;
        for (int only = -2; only < args.Length; only++)
        {
            Tensor?[] given = tangents.Select((t, i) => only == -2 || i == only ? t : null).ToArray();
            float givenTd = only < 0 ? tdLoss : 0f;
            string label = $"{name} {args[0].ShapeText} tangent {(only == -2 ? "all" : only == -1 ? "of dloss" : "#" + only)}";
            Tensor?[] result = shapes.Select(s => (Tensor?)new Tensor(s)).ToArray();
            rule(args, f(args), dLoss, given, givenTd, result);
            Tensor?[] plus = At(h), minus = At(-h);
            for (int k = 0; k < args.Length; k++)
            {
                for (int i = 0; i < args[k].Length; i++)
                {
                    double fd = (plus[k]!.Span[i] - (double)minus[k]!.Span[i]) / (2 * h);
                    Assert.True(Math.Abs(fd - result[k]!.Span[i]) <= 3e-3 * Math.Max(1, Math.Abs(fd)), $"{label}: adjoint {k} element {i}: VJP tangent {result[k]!.Span[i]:G6} vs finite difference {fd:G6}");
                }
            }

            Tensor?[] At(float step)
            {
                Tensor[] shifted = args.Select((a, i) => given[i] is { } t ? a + t * step : a).ToArray();
                Tensor?[] adjoints = shapes.Select(s => (Tensor?)new Tensor(s)).ToArray();
                vjp(shifted, f(shifted), dLoss + givenTd * step, adjoints);
                return adjoints;
            }
        }
    }
}
