using System;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Autodiff;

// The tangents of the VJPs: forward mode applied to the backward pass, for Hessian-vector products of model methods
// ({Method}Hvp, forward over reverse). Shape, for a tensor op `Tensor F(Tensor a, Tensor b, <other>)` with VJP
// `FVjp(a, b, <other>, y, dy, da, db)`:
//   static void FVjpTangent(Tensor a, Tensor b, <other>, Tensor y, Tensor dy, Tensor? ta, Tensor? tb, Tensor? tdy, Tensor? tda, Tensor? tdb)
// adds to tda and tdb the derivative, along the tangents ta and tb of the inputs and tdy of the adjoint dy, of what
// FVjp adds to da and db. A null tangent is zero and a null destination is skipped. Every VJP is linear in dy, so
// each rule is the VJP applied to tdy plus a curvature term in dy and the input tangents (zero for linear ops).
// The curvature terms work in scratch tensors kept per thread, so that they allocate nothing after the first call.
public static partial class TensorDerivatives
{
    /// <summary>tda += tdy · bᵀ + dy · tbᵀ, tdb += aᵀ · tdy + taᵀ · dy</summary>
    public static void MatMulVjpTangent(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? ta, Tensor? tb, Tensor? tdy, Tensor? tda, Tensor? tdb)
        => BilinearVjpTangent(MatMulVjp, a, b, y, dy, ta, tb, tdy, tda, tdb);

    /// <summary>tda += tdy, tdb += tdy (summed over broadcast rows): the VJP is linear</summary>
    public static void AddVjpTangent(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? ta, Tensor? tb, Tensor? tdy, Tensor? tda, Tensor? tdb)
    {
        if (tdy is not null)
        {
            AddVjp(a, b, y, tdy, tda, tdb);
        }
    }

    /// <summary>tda += tdy, tdb -= tdy (summed over broadcast rows)</summary>
    public static void SubtractVjpTangent(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? ta, Tensor? tb, Tensor? tdy, Tensor? tda, Tensor? tdb)
    {
        if (tdy is not null)
        {
            SubtractVjp(a, b, y, tdy, tda, tdb);
        }
    }

    /// <summary>tda += tdy · b + dy · tb, tdb += tdy · a + dy · ta (summed over broadcast rows)</summary>
    public static void MultiplyVjpTangent(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? ta, Tensor? tb, Tensor? tdy, Tensor? tda, Tensor? tdb)
        => BilinearVjpTangent(MultiplyVjp, a, b, y, dy, ta, tb, tdy, tda, tdb);

    /// <summary>tda += tdy / b - dy · tb / b², tdb += -tdy · y / b - dy · ta / b² + 2 dy · y · tb / b² (summed over broadcast rows)</summary>
    public static void DivideVjpTangent(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? ta, Tensor? tb, Tensor? tdy, Tensor? tda, Tensor? tdb)
    {
        if (tdy is not null)
        {
            DivideVjp(a, b, y, tdy, tda, tdb);
        }

        if (ta is null && tb is null)
        {
            return;
        }

        // The curvature terms, with every operand broadcast to the result's shape, then summed back as the VJP does.
        ReadOnlySpan<float> g = dy.Span, ys = y.Span, bs = b.Span;
        ReadOnlySpan<float> tas = ta is null ? default : ta.Span, tbs = tb is null ? default : tb.Span;
        Tensor fromA = Scratch(ref s_first, y), fromB = Scratch(ref s_second, y);
        Span<float> fa = fromA.Span, fb = fromB.Span;
        int columns = y.Columns;
        for (int i = 0; i < fa.Length; i++)
        {
            float inverse = 1f / bs[At(b, y, i, columns)], squared = inverse * inverse;
            float tbv = tb is null ? 0f : tbs[At(tb, y, i, columns)], tav = ta is null ? 0f : tas[At(ta, y, i, columns)];
            fa[i] = -g[i] * tbv * squared;
            fb[i] = (-g[i] * tav + 2f * g[i] * ys[i] * tbv) * squared;
        }

        AddVjp(a, b, y, fromA, tda, null);
        AddVjp(a, b, y, fromB, null, tdb);
    }

    /// <summary>tda += s · tdy</summary>
    public static void ScaleVjpTangent(Tensor a, float s, Tensor y, Tensor dy, Tensor? ta, Tensor? tdy, Tensor? tda)
    {
        if (tdy is not null)
        {
            ScaleVjp(a, s, y, tdy, tda);
        }
    }

    /// <summary>tda += s · tdy (for s · a)</summary>
    public static void ScaleVjpTangent(float s, Tensor a, Tensor y, Tensor dy, Tensor? ta, Tensor? tdy, Tensor? tda) => ScaleVjpTangent(a, s, y, dy, ta, tdy, tda);

    /// <summary>tda -= tdy</summary>
    public static void NegateVjpTangent(Tensor a, Tensor y, Tensor dy, Tensor? ta, Tensor? tdy, Tensor? tda)
    {
        if (tdy is not null)
        {
            NegateVjp(a, y, tdy, tda);
        }
    }

    /// <summary>tdx += x &gt; 0 ? tdy : 0 (the second derivative is zero away from 0)</summary>
    public static void ReluVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            ReluVjp(x, y, tdy, tdx);
        }
    }

    /// <summary>tdx += tdy · (x &gt; 0 ? 1 : slope)</summary>
    public static void LeakyReluVjpTangent(Tensor x, float slope, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            LeakyReluVjp(x, slope, y, tdy, tdx);
        }
    }

    /// <summary>tdx += tdy · y (1 - y) + dy · tx · y (1 - y)(1 - 2y)</summary>
    public static void SigmoidVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            SigmoidVjp(x, y, tdy, tdx);
        }

        Curvature(y, dy, tx, tdx, static (y, t) => t * y * (1f - y) * (1f - 2f * y));
    }

    /// <summary>tdx += tdy · (1 - y²) - 2 dy · tx · y (1 - y²)</summary>
    public static void TanhVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            TanhVjp(x, y, tdy, tdx);
        }

        Curvature(y, dy, tx, tdx, static (y, t) => -2f * t * y * (1f - y * y));
    }

    /// <summary>tdx += tdy · y + dy · tx · y</summary>
    public static void ExpVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            ExpVjp(x, y, tdy, tdx);
        }

        Curvature(y, dy, tx, tdx, static (y, t) => t * y);
    }

    /// <summary>tdx += tdy / x - dy · tx / x²</summary>
    public static void LogVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            LogVjp(x, y, tdy, tdx);
        }

        Curvature(x, dy, tx, tdx, static (x, t) => -t / (x * x));
    }

    /// <summary>tdx += y ⊙ (tdy - Σ y ⊙ tdy) + ty ⊙ (dy - Σ y ⊙ dy) - y · Σ ty ⊙ dy, per row, with ty the softmax's tangent</summary>
    public static void SoftmaxVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            SoftmaxVjp(x, y, tdy, tdx);
        }

        if (tx is null || tdx is null)
        {
            return;
        }

        Tensor ty = SoftmaxJvp(x, y, tx, Scratch(ref s_first, y))!;
        int columns = y.Columns;
        ReadOnlySpan<float> ys = y.Span, g = dy.Span, ts = ty.Span;
        Span<float> d = tdx.Span;
        for (int r = 0; r < ys.Length; r += columns)
        {
            float dot = TensorPrimitives.Dot(ys.Slice(r, columns), g.Slice(r, columns));
            float tangentDot = TensorPrimitives.Dot(ts.Slice(r, columns), g.Slice(r, columns));
            for (int j = r; j < r + columns; j++)
            {
                d[j] += ts[j] * (g[j] - dot) - ys[j] * tangentDot;
            }
        }
    }

    /// <summary>tdx += tdy - e^y · Σ tdy - tp · Σ dy, per row, with tp = e^y ⊙ (tx - Σ e^y ⊙ tx) the softmax's tangent</summary>
    public static void LogSoftmaxVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            LogSoftmaxVjp(x, y, tdy, tdx);
        }

        if (tx is null || tdx is null)
        {
            return;
        }

        int columns = y.Columns;
        ReadOnlySpan<float> ys = y.Span, g = dy.Span, ts = tx.Span;
        Span<float> d = tdx.Span;
        for (int r = 0; r < ys.Length; r += columns)
        {
            float sum = TensorPrimitives.Sum(g.Slice(r, columns)), dot = 0f;
            for (int j = r; j < r + columns; j++)
            {
                dot += MathF.Exp(ys[j]) * ts[j];
            }

            for (int j = r; j < r + columns; j++)
            {
                d[j] -= MathF.Exp(ys[j]) * (ts[j] - dot) * sum;
            }
        }
    }

    /// <summary>tdx += tdy (same values, other shape)</summary>
    public static void ReshapeVjpTangent(Tensor x, int rows, int columns, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            ReshapeVjp(x, rows, columns, y, tdy, tdx);
        }
    }

    /// <summary>tdx[start .. start + count) += tdy</summary>
    public static void SliceRowsVjpTangent(Tensor x, int start, int count, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            SliceRowsVjp(x, start, count, y, tdy, tdx);
        }
    }

    /// <summary>tdx += tdyᵀ</summary>
    public static void TransposeVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            TransposeVjp(x, y, tdy, tdx);
        }
    }

    /// <summary>tdx += tdy · mask / (1 - rate)</summary>
    public static void DropoutVjpTangent(Tensor x, float rate, int seed, bool training, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
    {
        if (tdy is not null)
        {
            DropoutVjp(x, rate, seed, training, y, tdy, tdx);
        }
    }

    /// <summary>tdlogits += tdloss · (p - onehot) / B + dloss · p ⊙ (tlogits - Σ p ⊙ tlogits) / B, per row, p = softmax(logits)</summary>
    public static void SoftmaxCrossEntropyVjpTangent(Tensor logits, int[] labels, float loss, float dloss, Tensor? tlogits, float tdloss, Tensor? tdlogits)
    {
        if (tdlogits is null)
        {
            return;
        }

        if (tdloss != 0f)
        {
            SoftmaxCrossEntropyVjp(logits, labels, loss, tdloss, tdlogits);
        }

        if (tlogits is null || dloss == 0f || labels.Length == 0)
        {
            return;
        }

        Tensor p = Tensor.Softmax(logits, Scratch(ref s_first, logits));
        Tensor tp = SoftmaxJvp(logits, p, tlogits, Scratch(ref s_second, logits))!;
        TensorPrimitives.MultiplyAdd(tp.Span, dloss / labels.Length, tdlogits.Span, tdlogits.Span);
    }

    /// <summary>tdp += 2 (tdloss (p - t) + dloss (tp - tt)) / n, tdt -= the same</summary>
    public static void MseVjpTangent(Tensor prediction, Tensor target, float loss, float dloss, Tensor? tprediction, Tensor? ttarget, float tdloss, Tensor? tdprediction, Tensor? tdtarget)
    {
        if (tdloss != 0f)
        {
            MseVjp(prediction, target, loss, tdloss, tdprediction, tdtarget);
        }

        if ((tprediction is null && ttarget is null) || prediction.Length == 0)
        {
            return;
        }

        float scale = 2f * dloss / prediction.Length;
        ReadOnlySpan<float> tp = tprediction is null ? default : tprediction.Span, tt = ttarget is null ? default : ttarget.Span;
        Span<float> dp = tdprediction is null ? default : tdprediction.Span, dt = tdtarget is null ? default : tdtarget.Span;
        for (int i = 0; i < prediction.Length; i++)
        {
            float g = scale * ((tprediction is null ? 0f : tp[i]) - (ttarget is null ? 0f : tt[i]));
            if (tdprediction is not null)
            {
                dp[i] += g;
            }

            if (tdtarget is not null)
            {
                dt[i] -= g;
            }
        }
    }

    /// <summary>tdx += tdsum</summary>
    public static void SumVjpTangent(Tensor x, float sum, float dsum, Tensor? tx, float tdsum, Tensor? tdx) => SumVjp(x, sum, tdsum, tdx);

    /// <summary>tdx += tdmean / n</summary>
    public static void MeanVjpTangent(Tensor x, float mean, float dmean, Tensor? tx, float tdmean, Tensor? tdx) => MeanVjp(x, mean, tdmean, tdx);

    /// <summary>
    /// The VJP tangent of a bilinear op (a product): its VJP is linear in dy and in each operand, so the tangent is the
    /// VJP of tdy, plus the VJP of dy with b's tangent in b's place (into tda) and with a's tangent in a's place (into tdb).
    /// </summary>
    private static void BilinearVjpTangent(Action<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?> vjp, Tensor a, Tensor b, Tensor y, Tensor dy,
        Tensor? ta, Tensor? tb, Tensor? tdy, Tensor? tda, Tensor? tdb)
    {
        if (tdy is not null)
        {
            vjp(a, b, y, tdy, tda, tdb);
        }

        if (tb is not null && tda is not null)
        {
            vjp(a, tb, y, dy, tda, null);
        }

        if (ta is not null && tdb is not null)
        {
            vjp(ta, b, y, dy, null, tdb);
        }
    }

    /// <summary>tdx += dy · rule(v, tx) elementwise, v being x or y as the rule needs: the curvature term of a unary op.</summary>
    private static void Curvature(Tensor v, Tensor dy, Tensor? tx, Tensor? tdx, Func<float, float, float> rule)
    {
        if (tx is null || tdx is null)
        {
            return;
        }

        ReadOnlySpan<float> vs = v.Span, g = dy.Span, ts = tx.Span;
        Span<float> d = tdx.Span;
        for (int i = 0; i < d.Length; i++)
        {
            d[i] += g[i] * rule(vs[i], ts[i]);
        }
    }

    // Scratch tensors of the curvature terms, one pair per thread, grown to the largest shape seen: the VJP tangents
    // allocate nothing after the first call (a model HVP runs them on the calling thread).
    [ThreadStatic]
    private static Tensor? s_first, s_second;

    /// <summary>A scratch tensor shaped like <paramref name="like"/> (its values are not cleared).</summary>
    private static Tensor Scratch(ref Tensor? scratch, Tensor like) => scratch = Tensor.ReuseLike(scratch, like);
}
