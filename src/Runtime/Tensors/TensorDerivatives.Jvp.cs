using System;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Autodiff;

// Jacobian-vector products of the tensor ops: forward mode of model methods ({Method}Jvp). Shape, for a tensor op
// `Tensor F(Tensor a, Tensor b, <other>)`:
//   static Tensor? FJvp(Tensor a, Tensor b, <other>, Tensor result, Tensor? ta, Tensor? tb)
// returning the tangent of the result given the tangents of the tensor arguments; a null tangent is zero, and the
// result is null when every tangent is (a float-valued op takes float result and returns float, 0 for none).
// Each returns a new tensor: forward mode is for sensitivities and checks, not for the training loop.
public static partial class TensorDerivatives
{
    /// <summary>ta · b + a · tb</summary>
    public static Tensor? MatMulJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb)
        => Sum(ta is null ? null : Tensor.MatMul(ta, b), tb is null ? null : Tensor.MatMul(a, tb));

    /// <summary>ta + tb (broadcast as a and b are; a missing tangent is zeros of its operand's shape)</summary>
    public static Tensor? AddJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb)
        => ta is null && tb is null ? null : Tensor.Add(ta ?? Tensor.ZerosLike(a), tb ?? Tensor.ZerosLike(b));

    /// <summary>ta - tb (broadcast as a and b are)</summary>
    public static Tensor? SubtractJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb)
        => ta is null && tb is null ? null : Tensor.Subtract(ta ?? Tensor.ZerosLike(a), tb ?? Tensor.ZerosLike(b));

    /// <summary>ta · b + a · tb, elementwise</summary>
    public static Tensor? MultiplyJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb)
        => Sum(ta is null ? null : Tensor.Multiply(ta, b), tb is null ? null : Tensor.Multiply(a, tb));

    /// <summary>ta / b - tb · y / b, elementwise</summary>
    public static Tensor? DivideJvp(Tensor a, Tensor b, Tensor y, Tensor? ta, Tensor? tb)
    {
        Tensor? fromA = ta is null ? null : Tensor.Divide(ta, b);
        if (tb is null)
        {
            return fromA;
        }

        // tb · y has y's shape whichever side broadcast; dividing by b lines up as the primal did.
        Tensor fromB = Tensor.Divide(Tensor.Multiply(y, tb), b);
        return fromA is null ? Tensor.Negate(fromB) : Tensor.Subtract(fromA, fromB);
    }

    /// <summary>s · ta</summary>
    public static Tensor? ScaleJvp(Tensor a, float s, Tensor y, Tensor? ta) => ta is null ? null : Tensor.Scale(ta, s);

    /// <summary>s · ta (for s · a)</summary>
    public static Tensor? ScaleJvp(float s, Tensor a, Tensor y, Tensor? ta) => ScaleJvp(a, s, y, ta);

    /// <summary>-ta</summary>
    public static Tensor? NegateJvp(Tensor a, Tensor y, Tensor? ta) => ta is null ? null : Tensor.Negate(ta);

    /// <summary>tx where x &gt; 0, else 0</summary>
    public static Tensor? ReluJvp(Tensor x, Tensor y, Tensor? tx) => LeakyReluJvp(x, 0f, y, tx);

    /// <summary>tx · (x &gt; 0 ? 1 : slope)</summary>
    public static Tensor? LeakyReluJvp(Tensor x, float slope, Tensor y, Tensor? tx)
        => Map(x, y, tx, slope, static (x, y, t, slope) => x > 0f ? t : slope * t);

    /// <summary>tx · y · (1 - y)</summary>
    public static Tensor? SigmoidJvp(Tensor x, Tensor y, Tensor? tx) => Map(x, y, tx, 0f, static (x, y, t, _) => t * y * (1f - y));

    /// <summary>tx · (1 - y²)</summary>
    public static Tensor? TanhJvp(Tensor x, Tensor y, Tensor? tx) => Map(x, y, tx, 0f, static (x, y, t, _) => t * (1f - y * y));

    /// <summary>tx · y</summary>
    public static Tensor? ExpJvp(Tensor x, Tensor y, Tensor? tx) => tx is null ? null : Tensor.Multiply(tx, y);

    /// <summary>tx / x</summary>
    public static Tensor? LogJvp(Tensor x, Tensor y, Tensor? tx) => tx is null ? null : Tensor.Divide(tx, x);

    /// <summary>y ⊙ (tx - Σ y ⊙ tx), per row (the softmax Jacobian is symmetric: the VJP's formula)</summary>
    public static Tensor? SoftmaxJvp(Tensor x, Tensor y, Tensor? tx)
    {
        if (tx is null)
        {
            return null;
        }

        Tensor t = Tensor.ZerosLike(y);
        Ops.Softmax.Backward(y.Span, tx.Span, y.Columns, t.Span);
        return t;
    }

    /// <summary>tx - Σ softmax(x) ⊙ tx, per row</summary>
    public static Tensor? LogSoftmaxJvp(Tensor x, Tensor y, Tensor? tx)
    {
        if (tx is null)
        {
            return null;
        }

        Tensor t = Tensor.ZerosLike(y);
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
    public static Tensor? ReshapeJvp(Tensor x, int rows, int columns, Tensor y, Tensor? tx) => tx is null ? null : Tensor.Reshape(tx, rows, columns);

    /// <summary>rows [start, start + count) of tx</summary>
    public static Tensor? SliceRowsJvp(Tensor x, int start, int count, Tensor y, Tensor? tx) => tx is null ? null : Tensor.SliceRows(tx, start, count);

    /// <summary>txᵀ</summary>
    public static Tensor? TransposeJvp(Tensor x, Tensor y, Tensor? tx) => tx is null ? null : Tensor.Transpose(tx);

    /// <summary>tx · mask / (1 - rate): the same mask, recomputed from the seed</summary>
    public static Tensor? DropoutJvp(Tensor x, float rate, int seed, bool training, Tensor y, Tensor? tx)
        => tx is null ? null : Tensor.Dropout(tx, rate, seed, training);

    /// <summary>Σ (softmax(logits) - onehot(labels)) ⊙ tlogits / B: the gradient dotted with the tangent</summary>
    public static float SoftmaxCrossEntropyJvp(Tensor logits, int[] labels, float loss, Tensor? tlogits)
    {
        if (tlogits is null)
        {
            return 0f;
        }

        var gradient = new float[logits.Length];
        Ops.Softmax.CrossEntropyBackward(logits.Span, logits.Columns, labels, 1f, gradient, accumulate: false);
        return TensorPrimitives.Dot<float>(gradient, tlogits.Span);
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

    private static Tensor? Sum(Tensor? first, Tensor? second)
    {
        if (first is null || second is null)
        {
            return first ?? second;
        }

        TensorPrimitives.Add(first.Span, second.Span, first.Span);
        return first;
    }

    private static Tensor? Map(Tensor x, Tensor y, Tensor? tx, float parameter, Func<float, float, float, float, float> rule)
    {
        if (tx is null)
        {
            return null;
        }

        Tensor t = Tensor.ZerosLike(y);
        ReadOnlySpan<float> xs = x.Span, ys = y.Span, ts = tx.Span;
        Span<float> output = t.Span;
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = rule(xs[i], ys[i], ts[i], parameter);
        }

        return t;
    }
}
