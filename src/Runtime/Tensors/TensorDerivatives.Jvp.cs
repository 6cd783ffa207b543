using System;
using System.Buffers;
using Autodiff.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Autodiff;

// Jacobian-vector products of the tensor ops: forward mode of model methods ({Method}Tangent, {Method}Jvp,
// {Method}Hvp). Shape, for a tensor op `Tensor F(Tensor a, Tensor b, <other>)`:
//   static Tensor? FJvp(Tensor a, Tensor b, <other>, Tensor result, Tensor? ta, Tensor? tb)
// returning the tangent of the result given the tangents of the tensor arguments; a null tangent is zero, and the
// result is null when every tangent is (a float-valued op takes float result and returns float, 0 for none). A
// tensor-valued rule may have an overload with a last `Tensor? into`: it writes the tangent into that tensor (grown
// when too small) and returns it, so that the generated code, which passes the tangent the op made on the previous
// call, allocates nothing after the first. It never returns a tangent it was given, nor writes into one.
public static partial class TensorDerivatives
{
    /// <summary>ta · b + a · tb</summary>
    public static Tensor? MatMulJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb) => MatMulJvp(a, b, y, ta, tb, null);

    /// <summary>ta · b + a · tb, into <paramref name="into"/></summary>
    public static Tensor? MatMulJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb, Tensor? into)
    {
        if (ta is null && tb is null)
        {
            return null;
        }

        Tensor t = Tensor.ReuseLike(Own(into, a, b, y, ta, tb), y);
        int m = a.Rows, k = a.Columns, n = b.Columns;
        if (ta is not null)
        {
            Gemm.Multiply(ta.Span, k, false, b.Span, n, false, t.Span, n, m, n, k, false, Tensor.Threads);
        }

        if (tb is not null)
        {
            Gemm.Multiply(a.Span, k, false, tb.Span, n, false, t.Span, n, m, n, k, ta is not null, Tensor.Threads);
        }

        return t;
    }

    /// <summary>ta + tb (broadcast as a and b are; a missing tangent is zeros of its operand's shape)</summary>
    public static Tensor? AddJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb) => AddJvp(a, b, y, ta, tb, null);

    /// <summary>ta + tb, into <paramref name="into"/></summary>
    public static Tensor? AddJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb, Tensor? into)
        => Linear(a, b, y, ta, tb, 1f, into);

    /// <summary>ta - tb (broadcast as a and b are)</summary>
    public static Tensor? SubtractJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb) => SubtractJvp(a, b, y, ta, tb, null);

    /// <summary>ta - tb, into <paramref name="into"/></summary>
    public static Tensor? SubtractJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb, Tensor? into)
        => Linear(a, b, y, ta, tb, -1f, into);

    /// <summary>ta · b + a · tb, elementwise</summary>
    public static Tensor? MultiplyJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb) => MultiplyJvp(a, b, y, ta, tb, null);

    /// <summary>ta · b + a · tb, into <paramref name="into"/></summary>
    public static Tensor? MultiplyJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb, Tensor? into)
    {
        if (ta is null && tb is null)
        {
            return null;
        }

        Tensor t = Tensor.ReuseLike(Own(into, a, b, y, ta, tb), y);
        Broadcasting(y, ta is null ? null : (ta, b, 1f), tb is null ? null : (a, tb, 1f), t);
        return t;
    }

    /// <summary>ta / b - tb · y / b, elementwise</summary>
    public static Tensor? DivideJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb) => DivideJvp(a, b, y, ta, tb, null);

    /// <summary>ta / b - tb · y / b, into <paramref name="into"/></summary>
    public static Tensor? DivideJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb, Tensor? into)
    {
        if (ta is null && tb is null)
        {
            return null;
        }

        Tensor t = Tensor.ReuseLike(Own(into, a, b, y, ta, tb), y);
        ReadOnlySpan<float> ys = y.Span, bs = b.Span;
        ReadOnlySpan<float> tas = ta is null ? default : ta.Span, tbs = tb is null ? default : tb.Span;
        Span<float> output = t.Span;
        int columns = y.Columns;
        for (int i = 0; i < output.Length; i++)
        {
            float bi = bs[At(b, y, i, columns)];
            float fromA = ta is null ? 0f : tas[At(ta, y, i, columns)] / bi;
            float fromB = tb is null ? 0f : tbs[At(tb, y, i, columns)] * ys[i] / bi;
            output[i] = fromA - fromB;
        }

        return t;
    }

    /// <summary>s · ta</summary>
    public static Tensor? ScaleJvp(Tensor a, float s, Tensor y, Tensor? ta) => ScaleJvp(a, s, y, ta, null);

    /// <summary>s · ta, into <paramref name="into"/></summary>
    public static Tensor? ScaleJvp(Tensor a, float s, Tensor y, Tensor? ta, Tensor? into) => ta is null ? null : Tensor.Scale(ta, s, Own(into, a, y, ta));

    /// <summary>s · ta (for s · a)</summary>
    public static Tensor? ScaleJvp(float s, Tensor a, Tensor y, Tensor? ta) => ScaleJvp(a, s, y, ta);

    /// <summary>s · ta (for s · a), into <paramref name="into"/></summary>
    public static Tensor? ScaleJvp(float s, Tensor a, Tensor y, Tensor? ta, Tensor? into) => ScaleJvp(a, s, y, ta, into);

    /// <summary>-ta</summary>
    public static Tensor? NegateJvp(Tensor a, Tensor y, Tensor? ta) => NegateJvp(a, y, ta, null);

    /// <summary>-ta, into <paramref name="into"/></summary>
    public static Tensor? NegateJvp(Tensor a, Tensor y, Tensor? ta, Tensor? into) => ta is null ? null : Tensor.Negate(ta, Own(into, a, y, ta));

    /// <summary>tx where x &gt; 0, else 0</summary>
    public static Tensor? ReluJvp(Tensor x, Tensor y, Tensor? tx) => LeakyReluJvp(x, 0f, y, tx, null);

    /// <summary>tx where x &gt; 0, else 0, into <paramref name="into"/></summary>
    public static Tensor? ReluJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into) => LeakyReluJvp(x, 0f, y, tx, into);

    /// <summary>tx · (x &gt; 0 ? 1 : slope)</summary>
    public static Tensor? LeakyReluJvp(Tensor x, float slope, Tensor y, Tensor? tx) => LeakyReluJvp(x, slope, y, tx, null);

    /// <summary>tx · (x &gt; 0 ? 1 : slope), into <paramref name="into"/></summary>
    public static Tensor? LeakyReluJvp(Tensor x, float slope, Tensor y, Tensor? tx, Tensor? into)
        => Map(x, y, tx, slope, static (x, y, t, slope) => x > 0f ? t : slope * t, into);

    /// <summary>tx · y · (1 - y)</summary>
    public static Tensor? SigmoidJvp(Tensor x, Tensor y, Tensor? tx) => SigmoidJvp(x, y, tx, null);

    /// <summary>tx · y · (1 - y), into <paramref name="into"/></summary>
    public static Tensor? SigmoidJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into) => Map(x, y, tx, 0f, static (x, y, t, _) => t * y * (1f - y), into);

    /// <summary>tx · (1 - y²)</summary>
    public static Tensor? TanhJvp(Tensor x, Tensor y, Tensor? tx) => TanhJvp(x, y, tx, null);

    /// <summary>tx · (1 - y²), into <paramref name="into"/></summary>
    public static Tensor? TanhJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into) => Map(x, y, tx, 0f, static (x, y, t, _) => t * (1f - y * y), into);

    /// <summary>tx · y</summary>
    public static Tensor? ExpJvp(Tensor x, Tensor y, Tensor? tx) => ExpJvp(x, y, tx, null);

    /// <summary>tx · y, into <paramref name="into"/></summary>
    public static Tensor? ExpJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into) => tx is null ? null : Tensor.Multiply(tx, y, Own(into, x, y, tx));

    /// <summary>tx / x</summary>
    public static Tensor? LogJvp(Tensor x, Tensor y, Tensor? tx) => LogJvp(x, y, tx, null);

    /// <summary>tx / x, into <paramref name="into"/></summary>
    public static Tensor? LogJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into) => tx is null ? null : Tensor.Divide(tx, x, Own(into, x, y, tx));

    /// <summary>y ⊙ (tx - Σ y ⊙ tx), per row (the softmax Jacobian is symmetric: the VJP's formula)</summary>
    public static Tensor? SoftmaxJvp(Tensor x, Tensor y, Tensor? tx) => SoftmaxJvp(x, y, tx, null);

    /// <summary>y ⊙ (tx - Σ y ⊙ tx), per row, into <paramref name="into"/></summary>
    public static Tensor? SoftmaxJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into)
    {
        if (tx is null)
        {
            return null;
        }

        Tensor t = Tensor.ReuseLike(Own(into, x, y, tx), y);
        t.Span.Clear();
        Ops.Softmax.Backward(y.Span, tx.Span, y.Columns, t.Span);
        return t;
    }

    /// <summary>tx - Σ softmax(x) ⊙ tx, per row</summary>
    public static Tensor? LogSoftmaxJvp(Tensor x, Tensor y, Tensor? tx) => LogSoftmaxJvp(x, y, tx, null);

    /// <summary>tx - Σ softmax(x) ⊙ tx, per row, into <paramref name="into"/></summary>
    public static Tensor? LogSoftmaxJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into)
    {
        if (tx is null)
        {
            return null;
        }

        Tensor t = Tensor.ReuseLike(Own(into, x, y, tx), y);
        int columns = y.Columns;
        ReadOnlySpan<float> ys = y.Span, ts = tx.Span;
        Span<float> output = t.Span;
        for (int r = 0; r < ys.Length; r += columns)
        {
            float dot = 0f;
            for (int j = 0; j < columns; j++)
            {
                dot += MathF.Exp(ys[r + j]) * ts[r + j];
            }

            TensorPrimitives.Subtract(ts.Slice(r, columns), dot, output.Slice(r, columns));
        }

        return t;
    }

    /// <summary>tx reshaped</summary>
    public static Tensor? ReshapeJvp(Tensor x, int rows, int columns, Tensor y, Tensor? tx) => ReshapeJvp(x, rows, columns, y, tx, null);

    /// <summary>tx reshaped, into <paramref name="into"/></summary>
    public static Tensor? ReshapeJvp(Tensor x, int rows, int columns, Tensor y, Tensor? tx, Tensor? into)
        => tx is null ? null : Tensor.Reshape(tx, rows, columns, Own(into, x, y, tx));

    /// <summary>rows [start, start + count) of tx</summary>
    public static Tensor? SliceRowsJvp(Tensor x, int start, int count, Tensor y, Tensor? tx) => SliceRowsJvp(x, start, count, y, tx, null);

    /// <summary>rows [start, start + count) of tx, into <paramref name="into"/></summary>
    public static Tensor? SliceRowsJvp(Tensor x, int start, int count, Tensor y, Tensor? tx, Tensor? into)
        => tx is null ? null : Tensor.SliceRows(tx, start, count, Own(into, x, y, tx));

    /// <summary>txᵀ</summary>
    public static Tensor? TransposeJvp(Tensor x, Tensor y, Tensor? tx) => TransposeJvp(x, y, tx, null);

    /// <summary>txᵀ, into <paramref name="into"/></summary>
    public static Tensor? TransposeJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into) => tx is null ? null : Tensor.Transpose(tx, Own(into, x, y, tx));

    /// <summary>tx · mask / (1 - rate): the same mask, recomputed from the seed</summary>
    public static Tensor? DropoutJvp(Tensor x, float rate, int seed, bool training, Tensor y, Tensor? tx) => DropoutJvp(x, rate, seed, training, y, tx, null);

    /// <summary>tx · mask / (1 - rate), into <paramref name="into"/></summary>
    public static Tensor? DropoutJvp(Tensor x, float rate, int seed, bool training, Tensor y, Tensor? tx, Tensor? into)
        => tx is null ? null : Tensor.Dropout(tx, rate, seed, training, Own(into, x, y, tx));

    /// <summary>Σ (softmax(logits) - onehot(labels)) ⊙ tlogits / B: the gradient dotted with the tangent</summary>
    public static float SoftmaxCrossEntropyJvp(Tensor logits, int[] labels, float loss, Tensor? tlogits)
    {
        if (tlogits is null)
        {
            return 0f;
        }

        float[] gradient = ArrayPool<float>.Shared.Rent(logits.Length);
        Span<float> g = gradient.AsSpan(0, logits.Length);
        Ops.Softmax.CrossEntropyBackward(logits.Span, logits.Columns, labels, 1f, g, accumulate: false);
        float dot = TensorPrimitives.Dot<float>(g, tlogits.Span);
        ArrayPool<float>.Shared.Return(gradient);
        return dot;
    }

    /// <summary>2 Σ (p - t) ⊙ (tp - tt) / n</summary>
    public static float MseJvp(Tensor prediction, Tensor target, float loss, Tensor? tprediction, Tensor? ttarget)
    {
        ReadOnlySpan<float> p = prediction.Span, t = target.Span;
        ReadOnlySpan<float> tp = tprediction is null ? default : tprediction.Span, tt = ttarget is null ? default : ttarget.Span;
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double direction = (tprediction is null ? 0f : tp[i]) - (ttarget is null ? 0f : tt[i]);
            sum += (p[i] - t[i]) * direction;
        }

        return p.Length == 0 ? 0f : (float)(2 * sum / p.Length);
    }

    /// <summary>Σ tx</summary>
    public static float SumJvp(Tensor x, float sum, Tensor? tx) => tx is null ? 0f : TensorPrimitives.Sum<float>(tx.Span);

    /// <summary>Σ tx / n</summary>
    public static float MeanJvp(Tensor x, float mean, Tensor? tx) => tx is null || x.Length == 0 ? 0f : TensorPrimitives.Sum<float>(tx.Span) / x.Length;

    /// <summary>The tangent of a tensor-valued result that depends on no tangent: zeros shaped like it (generated <c>{Method}Jvp</c> returns it).</summary>
    public static Tensor TangentOrZeros(Tensor? tangent, Tensor value) => tangent ?? Tensor.ZerosLike(value);

    /// <summary><paramref name="into"/>, or null (a new tensor) when it is one of the op's values or tangents: never written in place.</summary>
    private static Tensor? Own(Tensor? into, Tensor a, Tensor b, Tensor? c = null, Tensor? d = null, Tensor? e = null)
        => into is null || ReferenceEquals(into, a) || ReferenceEquals(into, b) || ReferenceEquals(into, c) || ReferenceEquals(into, d) || ReferenceEquals(into, e) ? null : into;

    /// <summary>The index into an operand of an elementwise op of result <paramref name="y"/> (broadcast: equal shapes, a row, one value).</summary>
    private static int At(Tensor operand, Tensor y, int i, int columns)
        => operand.Length == y.Length ? i : operand.Length == 1 ? 0 : i % columns;

    // ta ± tb, each broadcast to y's shape: both there, the op itself on the tangents (they line up as a and b do);
    // one missing (zero), the other broadcast.
    private static Tensor? Linear(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb, float sign, Tensor? into)
    {
        Tensor? owned = Own(into, a, b, y, ta, tb);
        if (ta is not null && tb is not null)
        {
            return sign > 0f ? Tensor.Add(ta, tb, owned) : Tensor.Subtract(ta, tb, owned);
        }

        if (ta is null && tb is null)
        {
            return null;
        }

        Tensor t = Tensor.ReuseLike(owned, y);
        Broadcasting(y, ta is null ? null : (ta, null, 1f), tb is null ? null : (tb, null, sign), t);
        return t;
    }

    // t = first + second, each term sign · p · q (q may be absent: 1) with p and q broadcast to y's shape.
    private static void Broadcasting(Tensor y, (Tensor P, Tensor? Q, float Sign)? first, (Tensor P, Tensor? Q, float Sign)? second, Tensor t)
    {
        t.Span.Clear();
        AddTerm(y, first, t);
        AddTerm(y, second, t);
    }

    private static void AddTerm(Tensor y, (Tensor P, Tensor? Q, float Sign)? term, Tensor t)
    {
        if (term is not { } present)
        {
            return;
        }

        Span<float> output = t.Span;
        ReadOnlySpan<float> ps = present.P.Span, qs = present.Q is null ? default : present.Q.Span;
        if (present.Q is { } q && present.P.Length == y.Length && q.Length == y.Length && present.Sign == 1f)
        {
            // A product of equal shapes (the common case): vectorised.
            TensorPrimitives.FusedMultiplyAdd(ps, qs, output, output);
            return;
        }

        int columns = y.Columns;
        for (int i = 0; i < output.Length; i++)
        {
            output[i] += present.Sign * ps[At(present.P, y, i, columns)] * (present.Q is null ? 1f : qs[At(present.Q, y, i, columns)]);
        }
    }

    private static Tensor? Map(Tensor x, Tensor y, Tensor? tx, float parameter, Func<float, float, float, float, float> rule, Tensor? into)
    {
        if (tx is null)
        {
            return null;
        }

        Tensor t = Tensor.ReuseLike(Own(into, x, y, tx), y);
        ReadOnlySpan<float> xs = x.Span, ys = y.Span, ts = tx.Span;
        Span<float> output = t.Span;
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = rule(xs[i], ys[i], ts[i], parameter);
        }

        return t;
    }
}
