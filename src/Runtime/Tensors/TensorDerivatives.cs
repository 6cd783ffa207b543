using System;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Autodiff;
using Autodiff.Kernels;

// The tensor ops' derivatives, registered with the same attribute users have for their own functions.
// VJP shape for a tensor op `Tensor F(Tensor a, Tensor b, <other>)`:
//   static void FVjp(Tensor a, Tensor b, <other>, Tensor result, Tensor dResult, Tensor? da, Tensor? db)
// (a float-valued op takes float result and dResult). Each adjoint is accumulated (+=) and is null when the
// caller does not need it. `Jvp` names the forward-mode rule (TensorDerivatives.Jvp.cs); `Into` names the
// overload that writes its result into a reused tensor.
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.MatMul), typeof(TensorDerivatives), nameof(TensorDerivatives.MatMulVjp), VjpTangent = nameof(TensorDerivatives.MatMulVjpTangent), Jvp = nameof(TensorDerivatives.MatMulJvp), Into = nameof(Tensor.MatMul))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Add), typeof(TensorDerivatives), nameof(TensorDerivatives.AddVjp), VjpTangent = nameof(TensorDerivatives.AddVjpTangent), Jvp = nameof(TensorDerivatives.AddJvp), Into = nameof(Tensor.Add))]
[assembly: RegisterDerivative(typeof(Tensor), "op_Addition", typeof(TensorDerivatives), nameof(TensorDerivatives.AddVjp), VjpTangent = nameof(TensorDerivatives.AddVjpTangent), Jvp = nameof(TensorDerivatives.AddJvp), Into = nameof(Tensor.Add))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Subtract), typeof(TensorDerivatives), nameof(TensorDerivatives.SubtractVjp), VjpTangent = nameof(TensorDerivatives.SubtractVjpTangent), Jvp = nameof(TensorDerivatives.SubtractJvp), Into = nameof(Tensor.Subtract))]
[assembly: RegisterDerivative(typeof(Tensor), "op_Subtraction", typeof(TensorDerivatives), nameof(TensorDerivatives.SubtractVjp), VjpTangent = nameof(TensorDerivatives.SubtractVjpTangent), Jvp = nameof(TensorDerivatives.SubtractJvp), Into = nameof(Tensor.Subtract))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Multiply), typeof(TensorDerivatives), nameof(TensorDerivatives.MultiplyVjp), VjpTangent = nameof(TensorDerivatives.MultiplyVjpTangent), Jvp = nameof(TensorDerivatives.MultiplyJvp), Into = nameof(Tensor.Multiply))]
[assembly: RegisterDerivative(typeof(Tensor), "op_Multiply", typeof(TensorDerivatives), nameof(TensorDerivatives.MultiplyVjp), VjpTangent = nameof(TensorDerivatives.MultiplyVjpTangent), Jvp = nameof(TensorDerivatives.MultiplyJvp), Into = nameof(Tensor.Multiply))]
[assembly: RegisterDerivative(typeof(Tensor), "op_Multiply", typeof(TensorDerivatives), nameof(TensorDerivatives.ScaleVjp), VjpTangent = nameof(TensorDerivatives.ScaleVjpTangent), Jvp = nameof(TensorDerivatives.ScaleJvp), Into = nameof(Tensor.Scale))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Divide), typeof(TensorDerivatives), nameof(TensorDerivatives.DivideVjp), VjpTangent = nameof(TensorDerivatives.DivideVjpTangent), Jvp = nameof(TensorDerivatives.DivideJvp), Into = nameof(Tensor.Divide))]
[assembly: RegisterDerivative(typeof(Tensor), "op_Division", typeof(TensorDerivatives), nameof(TensorDerivatives.DivideVjp), VjpTangent = nameof(TensorDerivatives.DivideVjpTangent), Jvp = nameof(TensorDerivatives.DivideJvp), Into = nameof(Tensor.Divide))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Scale), typeof(TensorDerivatives), nameof(TensorDerivatives.ScaleVjp), VjpTangent = nameof(TensorDerivatives.ScaleVjpTangent), Jvp = nameof(TensorDerivatives.ScaleJvp), Into = nameof(Tensor.Scale))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Negate), typeof(TensorDerivatives), nameof(TensorDerivatives.NegateVjp), VjpTangent = nameof(TensorDerivatives.NegateVjpTangent), Jvp = nameof(TensorDerivatives.NegateJvp), Into = nameof(Tensor.Negate))]
[assembly: RegisterDerivative(typeof(Tensor), "op_UnaryNegation", typeof(TensorDerivatives), nameof(TensorDerivatives.NegateVjp), VjpTangent = nameof(TensorDerivatives.NegateVjpTangent), Jvp = nameof(TensorDerivatives.NegateJvp), Into = nameof(Tensor.Negate))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Relu), typeof(TensorDerivatives), nameof(TensorDerivatives.ReluVjp), VjpTangent = nameof(TensorDerivatives.ReluVjpTangent), Jvp = nameof(TensorDerivatives.ReluJvp), Into = nameof(Tensor.Relu))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.LeakyRelu), typeof(TensorDerivatives), nameof(TensorDerivatives.LeakyReluVjp), VjpTangent = nameof(TensorDerivatives.LeakyReluVjpTangent), Jvp = nameof(TensorDerivatives.LeakyReluJvp), Into = nameof(Tensor.LeakyRelu))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Sigmoid), typeof(TensorDerivatives), nameof(TensorDerivatives.SigmoidVjp), VjpTangent = nameof(TensorDerivatives.SigmoidVjpTangent), Jvp = nameof(TensorDerivatives.SigmoidJvp), Into = nameof(Tensor.Sigmoid))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Tanh), typeof(TensorDerivatives), nameof(TensorDerivatives.TanhVjp), VjpTangent = nameof(TensorDerivatives.TanhVjpTangent), Jvp = nameof(TensorDerivatives.TanhJvp), Into = nameof(Tensor.Tanh))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Exp), typeof(TensorDerivatives), nameof(TensorDerivatives.ExpVjp), VjpTangent = nameof(TensorDerivatives.ExpVjpTangent), Jvp = nameof(TensorDerivatives.ExpJvp), Into = nameof(Tensor.Exp))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Log), typeof(TensorDerivatives), nameof(TensorDerivatives.LogVjp), VjpTangent = nameof(TensorDerivatives.LogVjpTangent), Jvp = nameof(TensorDerivatives.LogJvp), Into = nameof(Tensor.Log))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Softmax), typeof(TensorDerivatives), nameof(TensorDerivatives.SoftmaxVjp), VjpTangent = nameof(TensorDerivatives.SoftmaxVjpTangent), Jvp = nameof(TensorDerivatives.SoftmaxJvp), Into = nameof(Tensor.Softmax))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.LogSoftmax), typeof(TensorDerivatives), nameof(TensorDerivatives.LogSoftmaxVjp), VjpTangent = nameof(TensorDerivatives.LogSoftmaxVjpTangent), Jvp = nameof(TensorDerivatives.LogSoftmaxJvp), Into = nameof(Tensor.LogSoftmax))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Reshape), typeof(TensorDerivatives), nameof(TensorDerivatives.ReshapeVjp), VjpTangent = nameof(TensorDerivatives.ReshapeVjpTangent), Jvp = nameof(TensorDerivatives.ReshapeJvp), Into = nameof(Tensor.Reshape))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Transpose), typeof(TensorDerivatives), nameof(TensorDerivatives.TransposeVjp), VjpTangent = nameof(TensorDerivatives.TransposeVjpTangent), Jvp = nameof(TensorDerivatives.TransposeJvp), Into = nameof(Tensor.Transpose))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.SliceRows), typeof(TensorDerivatives), nameof(TensorDerivatives.SliceRowsVjp), VjpTangent = nameof(TensorDerivatives.SliceRowsVjpTangent), Jvp = nameof(TensorDerivatives.SliceRowsJvp), Into = nameof(Tensor.SliceRows))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Dropout), typeof(TensorDerivatives), nameof(TensorDerivatives.DropoutVjp), VjpTangent = nameof(TensorDerivatives.DropoutVjpTangent), Jvp = nameof(TensorDerivatives.DropoutJvp), Into = nameof(Tensor.Dropout))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.SoftmaxCrossEntropy), typeof(TensorDerivatives), nameof(TensorDerivatives.SoftmaxCrossEntropyVjp), VjpTangent = nameof(TensorDerivatives.SoftmaxCrossEntropyVjpTangent), Jvp = nameof(TensorDerivatives.SoftmaxCrossEntropyJvp))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Mse), typeof(TensorDerivatives), nameof(TensorDerivatives.MseVjp), VjpTangent = nameof(TensorDerivatives.MseVjpTangent), Jvp = nameof(TensorDerivatives.MseJvp))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Sum), typeof(TensorDerivatives), nameof(TensorDerivatives.SumVjp), VjpTangent = nameof(TensorDerivatives.SumVjpTangent), Jvp = nameof(TensorDerivatives.SumJvp))]
[assembly: RegisterDerivative(typeof(Tensor), nameof(Tensor.Mean), typeof(TensorDerivatives), nameof(TensorDerivatives.MeanVjp), VjpTangent = nameof(TensorDerivatives.MeanVjpTangent), Jvp = nameof(TensorDerivatives.MeanJvp))]

namespace Autodiff;

/// <summary>
/// Vector-Jacobian products of the <see cref="Tensor"/> ops. Each accumulates into the adjoints it is given
/// (<c>da += ...</c>) and skips the null ones.
/// </summary>
public static partial class TensorDerivatives
{
    /// <summary>da += dy · bᵀ, db += aᵀ · dy</summary>
    public static void MatMulVjp(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? da, Tensor? db)
    {
        int m = a.Rows, k = a.Columns, n = b.Columns;
        if (da is not null)
        {
            // (m, n) · (n, k)ᵀ-of-b: b is (k, n), so read it transposed. A deferred-cleared da is overwritten (C = A·B).
            Span<float> target = da.AccumulationTarget(out bool overwrite);
            Gemm.Multiply(dy.Span, n, false, b.Span, n, true, target, k, m, k, n, !overwrite, Tensor.Threads);
        }

        if (db is not null)
        {
            // aᵀ (k, m) · dy (m, n)
            Span<float> target = db.AccumulationTarget(out bool overwrite);
            Gemm.Multiply(a.Span, k, true, dy.Span, n, false, target, n, k, n, m, !overwrite, Tensor.Threads);
        }
    }

    /// <summary>da += dy, db += dy (summed over broadcast rows)</summary>
    public static void AddVjp(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? da, Tensor? db)
        => BinaryVjp(BinaryKind.Add, a, b, y, dy, da, db);

    /// <summary>da += dy, db -= dy (summed over broadcast rows)</summary>
    public static void SubtractVjp(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? da, Tensor? db)
        => BinaryVjp(BinaryKind.Subtract, a, b, y, dy, da, db);

    /// <summary>da += dy · b, db += dy · a (summed over broadcast rows)</summary>
    public static void MultiplyVjp(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? da, Tensor? db)
        => BinaryVjp(BinaryKind.Multiply, a, b, y, dy, da, db);

    /// <summary>da += dy / b, db -= dy · y / b (summed over broadcast rows)</summary>
    public static void DivideVjp(Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? da, Tensor? db)
        => BinaryVjp(BinaryKind.Divide, a, b, y, dy, da, db);

    /// <summary>da += s · dy</summary>
    public static void ScaleVjp(Tensor a, float s, Tensor y, Tensor dy, Tensor? da)
    {
        if (da is not null)
        {
            TensorPrimitives.MultiplyAdd(dy.Span, s, da.Span, da.Span);
        }
    }

    /// <summary>da += s · dy (for s · a)</summary>
    public static void ScaleVjp(float s, Tensor a, Tensor y, Tensor dy, Tensor? da) => ScaleVjp(a, s, y, dy, da);

    /// <summary>da -= dy</summary>
    public static void NegateVjp(Tensor a, Tensor y, Tensor dy, Tensor? da)
    {
        if (da is not null)
        {
            TensorPrimitives.Subtract(da.Span, dy.Span, da.Span);
        }
    }

    /// <summary>dx += x &gt; 0 ? dy : 0</summary>
    public static void ReluVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Span<float> target = dx.AccumulationTarget(out bool overwrite);
            Elementwise.Run(overwrite ? static (x, dy, dx) => Ops.Relu.Backward(x, dy, dx, accumulate: false) : static (x, dy, dx) => Ops.Relu.Backward(x, dy, dx, accumulate: true), x.Span, dy.Span, target);
        }
    }

    /// <summary>dx += dy · (x &gt; 0 ? 1 : slope)</summary>
    public static void LeakyReluVjp(Tensor x, float slope, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Ops.LeakyRelu.Backward(x.Span, slope, dy.Span, dx.Span);
        }
    }

    /// <summary>dx += dy · y · (1 - y)</summary>
    public static void SigmoidVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Elementwise.Run(static (y, dy, dx) => Ops.Sigmoid.Backward(y, dy, dx), y.Span, dy.Span, dx.Span);
        }
    }

    /// <summary>dx += dy · (1 - y²)</summary>
    public static void TanhVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Elementwise.Run(static (y, dy, dx) => Ops.Tanh.Backward(y, dy, dx), y.Span, dy.Span, dx.Span);
        }
    }

    /// <summary>dx += dy · y</summary>
    public static void ExpVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Ops.Exp.Backward(y.Span, dy.Span, dx.Span);
        }
    }

    /// <summary>dx += dy / x</summary>
    public static void LogVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Ops.Log.Backward(x.Span, dy.Span, dx.Span);
        }
    }

    /// <summary>dx += y ⊙ (dy - Σ dy ⊙ y), per row</summary>
    public static void SoftmaxVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Ops.Softmax.Backward(y.Span, dy.Span, y.Columns, dx.Span);
        }
    }

    /// <summary>dx += dy - softmax(x) · Σ dy, per row</summary>
    public static void LogSoftmaxVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Ops.Softmax.LogBackward(y.Span, dy.Span, y.Columns, dx.Span);
        }
    }

    /// <summary>dx += dy (same values, other shape)</summary>
    public static void ReshapeVjp(Tensor x, int rows, int columns, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            TensorPrimitives.Add(dx.Span, dy.Span, dx.Span);
        }
    }

    /// <summary>dx[start .. start + count) += dy (the other rows of x get nothing)</summary>
    public static void SliceRowsVjp(Tensor x, int start, int count, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Span<float> rows = dx.Span.Slice(start * x.Columns, count * x.Columns);
            TensorPrimitives.Add(rows, dy.Span, rows);
        }
    }

    /// <summary>dx += dyᵀ</summary>
    public static void TransposeVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is not null)
        {
            Tensor.TransposeInto(dy.Span, dy.Rows, dy.Columns, dx.Span, true);
        }
    }

    /// <summary>dx += dy · mask / (1 - rate), with the mask recomputed from the seed</summary>
    public static void DropoutVjp(Tensor x, float rate, int seed, bool training, Tensor y, Tensor dy, Tensor? dx)
    {
        if (dx is null)
        {
            return;
        }

        if (!training || rate == 0f)
        {
            TensorPrimitives.Add(dx.Span, dy.Span, dx.Span);
            return;
        }

        float keep = 1f / (1f - rate);
        Span<float> d = dx.Span;
        ReadOnlySpan<float> g = dy.Span;
        for (int i = 0; i < d.Length; i++)
        {
            if (Tensor.Kept(seed, i, rate))
            {
                d[i] += g[i] * keep;
            }
        }
    }

    /// <summary>dlogits += dloss · (softmax(logits) - onehot(labels)) / B</summary>
    public static void SoftmaxCrossEntropyVjp(Tensor logits, int[] labels, float loss, float dloss, Tensor? dlogits)
    {
        if (dlogits is not null)
        {
            Span<float> target = dlogits.AccumulationTarget(out bool overwrite);
            Ops.Softmax.CrossEntropyBackward(logits.Span, logits.Columns, labels, dloss, target, accumulate: !overwrite);
        }
    }

    /// <summary>dp += dloss · 2 (p - t) / n, dt -= the same</summary>
    public static void MseVjp(Tensor prediction, Tensor target, float loss, float dloss, Tensor? dprediction, Tensor? dtarget)
    {
        ReadOnlySpan<float> p = prediction.Span, t = target.Span;
        Span<float> dp = dprediction is null ? default : dprediction.Span, dt = dtarget is null ? default : dtarget.Span;
        float scale = p.Length == 0 ? 0f : 2f * dloss / p.Length;
        for (int i = 0; i < p.Length; i++)
        {
            float g = scale * (p[i] - t[i]);
            if (dprediction is not null)
            {
                dp[i] += g;
            }

            if (dtarget is not null)
            {
                dt[i] -= g;
            }
        }
    }

    /// <summary>dx += dsum</summary>
    public static void SumVjp(Tensor x, float sum, float dsum, Tensor? dx)
    {
        if (dx is not null)
        {
            TensorPrimitives.Add(dx.Span, dsum, dx.Span);
        }
    }

    /// <summary>dx += dmean / n</summary>
    public static void MeanVjp(Tensor x, float mean, float dmean, Tensor? dx)
    {
        if (dx is not null && x.Length > 0)
        {
            TensorPrimitives.Add(dx.Span, dmean / x.Length, dx.Span);
        }
    }

    /// <summary>into += value (generated code seeds adjoints with it). Does nothing when <paramref name="into"/> is null.</summary>
    public static void Accumulate(Tensor? into, Tensor value)
    {
        if (into is not null)
        {
            TensorPrimitives.Add(into.Span, value.Span, into.Span);
        }
    }

    private static void AddSubtractVjp(bool subtract, Broadcast mode, Tensor dy, Tensor? da, Tensor? db)
    {
        ReadOnlySpan<float> g = dy.Span;
        if (da is not null)
        {
            Span<float> target = da.AccumulationTarget(out bool overwrite);
            if (overwrite)
            {
                Elementwise.Copy(g, target);
            }
            else
            {
                Elementwise.Run(static (t, dy, d) => TensorPrimitives.Add(t, dy, d), target, g, target);
            }
        }

        if (db is null)
        {
            return;
        }

        Span<float> d = db.AccumulationTarget(out bool fresh);
        if (mode == Broadcast.ScalarB)
        {
            float sum = TensorPrimitives.Sum(g);
            d[0] = (fresh ? 0f : d[0]) + (subtract ? -sum : sum);
            return;
        }

        if (g.Length == 0)
        {
            if (fresh)
            {
                d.Clear();
            }

            return;
        }

        // A bias (sums over the batch's rows), or equal shapes (one row: the sums are dy itself, split by columns).
        Elementwise.ColumnSums(g, mode == Broadcast.Same ? g.Length : d.Length, d, overwrite: fresh, negate: subtract);
    }

    private static void BinaryVjp(BinaryKind kind, Tensor a, Tensor b, Tensor y, Tensor dy, Tensor? da, Tensor? db)
    {
        Broadcast mode = Tensor.Classify(a, b, kind);
        if (kind is BinaryKind.Add or BinaryKind.Subtract && mode is Broadcast.Same or Broadcast.RowB or Broadcast.ScalarB)
        {
            // The common case (a bias): vectorised, da += dy and db ±= dy summed over the broadcast rows.
            AddSubtractVjp(kind == BinaryKind.Subtract, mode, dy, da, db);
            return;
        }

        int columns = dy.Columns;
        for (int r = 0; r < dy.Rows; r++)
        {
            int o = r * columns;
            ReadOnlySpan<float> g = dy.Span.Slice(o, columns);
            ReadOnlySpan<float> yr = y.Span.Slice(o, columns);
            ReadOnlySpan<float> ar = mode is Broadcast.RowA or Broadcast.ScalarA ? a.Span : a.Span.Slice(o, columns);
            ReadOnlySpan<float> br = mode is Broadcast.RowB or Broadcast.ScalarB ? b.Span : b.Span.Slice(o, columns);
            Span<float> dar = da is null ? default : mode is Broadcast.RowA or Broadcast.ScalarA ? da.Span : da.Span.Slice(o, columns);
            Span<float> dbr = db is null ? default : mode is Broadcast.RowB or Broadcast.ScalarB ? db.Span : db.Span.Slice(o, columns);
            bool scalarA = mode == Broadcast.ScalarA, scalarB = mode == Broadcast.ScalarB;
            for (int j = 0; j < columns; j++)
            {
                float av = scalarA ? ar[0] : ar[j];
                float bv = scalarB ? br[0] : br[j];
                (float ga, float gb) = kind switch
                {
                    BinaryKind.Add => (g[j], g[j]),
                    BinaryKind.Subtract => (g[j], -g[j]),
                    BinaryKind.Multiply => (g[j] * bv, g[j] * av),
                    _ => (g[j] / bv, -g[j] * yr[j] / bv),
                };
                if (da is not null)
                {
                    dar[scalarA ? 0 : j] += ga;
                }

                if (db is not null)
                {
                    dbr[scalarB ? 0 : j] += gb;
                }
            }
        }
    }
}
