using System;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Autodiff.Kernels;

namespace Autodiff;

// The ops. Each has a plain form that allocates its result and an `into` form that reuses a tensor when it
// is large enough (what generated code calls). Derivatives: TensorDerivatives.cs.
public sealed partial class Tensor
{
    /// <summary>
    /// Threads the kernels may use: matrix products, elementwise ops, losses, reductions and optimizer updates split
    /// their work over this many. Default: <see cref="PhysicalCores"/>. Results do not depend on it: every kernel
    /// splits its output into parts whose arithmetic is the same on any thread.
    /// </summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be at least 1.");
    }

    private static int _threads = Cores.Physical;

    /// <summary>Physical cores this process may use (hardware threads of one core counted once; the affinity and a container's CPU limit honoured).</summary>
    public static int PhysicalCores => Cores.Physical;

    /// <summary>Matrix product: a (m, k) · b (k, n) = (m, n).</summary>
    public static Tensor MatMul(Tensor a, Tensor b) => MatMul(a, b, null);

    /// <summary>Matrix product into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, Tensor? into)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Columns != b.Rows)
        {
            throw new ArgumentException($"MatMul needs (m, k) · (k, n); got {a.ShapeText} · {b.ShapeText}.");
        }

        Tensor y = Reuse(Alias(into, a, b), a.Rows, b.Columns);
        Gemm.Multiply(a.Span, a.Columns, false, b.Span, b.Columns, false, y.Span, y.Columns, a.Rows, b.Columns, a.Columns, false, Threads);
        return y;
    }

    /// <summary>Elementwise a + b, broadcasting a row vector or a single value over rows.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Add(a, b, null);

    /// <summary>Add into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Add(Tensor a, Tensor b, Tensor? into) => Binary(BinaryKind.Add, a, b, into);

    /// <summary>Elementwise a - b, broadcasting like <see cref="Add(Tensor, Tensor)"/>.</summary>
    public static Tensor Subtract(Tensor a, Tensor b) => Subtract(a, b, null);

    /// <summary>Subtract into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Subtract(Tensor a, Tensor b, Tensor? into) => Binary(BinaryKind.Subtract, a, b, into);

    /// <summary>Elementwise a · b, broadcasting like <see cref="Add(Tensor, Tensor)"/>.</summary>
    public static Tensor Multiply(Tensor a, Tensor b) => Multiply(a, b, null);

    /// <summary>Multiply into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Multiply(Tensor a, Tensor b, Tensor? into) => Binary(BinaryKind.Multiply, a, b, into);

    /// <summary>Elementwise a / b, broadcasting like <see cref="Add(Tensor, Tensor)"/>.</summary>
    public static Tensor Divide(Tensor a, Tensor b) => Divide(a, b, null);

    /// <summary>Divide into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Divide(Tensor a, Tensor b, Tensor? into) => Binary(BinaryKind.Divide, a, b, into);

    /// <summary>a · s for a constant s.</summary>
    public static Tensor Scale(Tensor a, float s) => Scale(a, s, null);

    /// <summary>Scale into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Scale(Tensor a, float s, Tensor? into)
    {
        Tensor y = ReuseLike(into, a);
        TensorPrimitives.Multiply(a.Span, s, y.Span);
        return y;
    }

    /// <summary>s · a for a constant s.</summary>
    public static Tensor Scale(float s, Tensor a) => Scale(s, a, null);

    /// <summary>Scale into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Scale(float s, Tensor a, Tensor? into) => Scale(a, s, into);

    /// <summary>-a.</summary>
    public static Tensor Negate(Tensor a) => Negate(a, null);

    /// <summary>Negate into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Negate(Tensor a, Tensor? into) => Scale(a, -1f, into);

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => Relu(x, null);

    /// <summary>Relu into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Relu(Tensor x, Tensor? into) => Unary(x, into, static (s, d) => Ops.Relu.Forward(s, d));

    /// <summary>x for x &gt; 0, else slope · x.</summary>
    public static Tensor LeakyRelu(Tensor x, float slope) => LeakyRelu(x, slope, null);

    /// <summary>LeakyRelu into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor LeakyRelu(Tensor x, float slope, Tensor? into)
    {
        Tensor y = ReuseLike(into, x);
        Ops.LeakyRelu.Forward(x.Span, slope, y.Span);
        return y;
    }

    /// <summary>1 / (1 + e^-x).</summary>
    public static Tensor Sigmoid(Tensor x) => Sigmoid(x, null);

    /// <summary>Sigmoid into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Sigmoid(Tensor x, Tensor? into) => Unary(x, into, static (s, d) => Ops.Sigmoid.Forward(s, d));

    /// <summary>tanh x.</summary>
    public static Tensor Tanh(Tensor x) => Tanh(x, null);

    /// <summary>Tanh into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Tanh(Tensor x, Tensor? into) => Unary(x, into, static (s, d) => Ops.Tanh.Forward(s, d));

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor x) => Exp(x, null);

    /// <summary>Exp into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Exp(Tensor x, Tensor? into) => Unary(x, into, static (s, d) => Ops.Exp.Forward(s, d));

    /// <summary>ln x.</summary>
    public static Tensor Log(Tensor x) => Log(x, null);

    /// <summary>Log into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Log(Tensor x, Tensor? into) => Unary(x, into, static (s, d) => Ops.Log.Forward(s, d));

    /// <summary>Softmax over the last dimension (each row sums to 1), computed stably.</summary>
    public static Tensor Softmax(Tensor x) => Softmax(x, null);

    /// <summary>Softmax into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Softmax(Tensor x, Tensor? into)
    {
        Tensor y = ReuseLike(Alias(into, x), x);
        Ops.Softmax.Forward(x.Span, x.Columns, y.Span);
        return y;
    }

    /// <summary>Log-softmax over the last dimension, computed stably.</summary>
    public static Tensor LogSoftmax(Tensor x) => LogSoftmax(x, null);

    /// <summary>LogSoftmax into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor LogSoftmax(Tensor x, Tensor? into)
    {
        Tensor y = ReuseLike(Alias(into, x), x);
        Ops.Softmax.LogForward(x.Span, x.Columns, y.Span);
        return y;
    }

    /// <summary>
    /// Mean over rows of the cross-entropy between softmax(logits) and integer labels: one fused, stable op
    /// (log-sum-exp), so no probabilities are materialised. logits: (B, C); labels: B values in [0, C).
    /// </summary>
    public static float SoftmaxCrossEntropy(Tensor logits, int[] labels)
    {
        CheckLabels(logits, labels);
        return Ops.Softmax.CrossEntropyForward(logits.Span, logits.Columns, labels);
    }

    /// <summary>Mean squared error: mean of (prediction - target)². Shapes must match.</summary>
    public static float Mse(Tensor prediction, Tensor target)
    {
        CheckSameShape(prediction, target, "Mse");
        double sum = 0;
        ReadOnlySpan<float> p = prediction.Span, t = target.Span;
        for (int i = 0; i < p.Length; i++)
        {
            double d = p[i] - t[i];
            sum += d * d;
        }

        return p.Length == 0 ? 0f : (float)(sum / p.Length);
    }

    /// <summary>Sum of all values.</summary>
    public static float Sum(Tensor x) => TensorPrimitives.Sum<float>(x.Span);

    /// <summary>Mean of all values.</summary>
    public static float Mean(Tensor x) => x.Length == 0 ? 0f : TensorPrimitives.Sum<float>(x.Span) / x.Length;

    /// <summary>The same values seen as (rows, columns).</summary>
    public static Tensor Reshape(Tensor x, int rows, int columns) => Reshape(x, rows, columns, null);

    /// <summary>Reshape into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Reshape(Tensor x, int rows, int columns, Tensor? into)
    {
        if ((long)rows * columns != x.Length)
        {
            throw new ArgumentException($"Cannot reshape {x.ShapeText} ({x.Length} values) to ({rows}, {columns}).");
        }

        Tensor y = Reuse(Alias(into, x), rows, columns);
        x.Span.CopyTo(y.Span);
        return y;
    }

    /// <summary>
    /// Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of a matrix, as a (count, columns)
    /// matrix: one time step of a sequence stored step after step, a mini-batch of a larger one.
    /// </summary>
    public static Tensor SliceRows(Tensor x, int start, int count) => SliceRows(x, start, count, null);

    /// <summary>SliceRows into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor SliceRows(Tensor x, int start, int count, Tensor? into)
    {
        if (x.Rank != 2 || start < 0 || count < 0 || (long)start + count > x.Rows)
        {
            throw new ArgumentException($"Cannot take rows [{start}, {(long)start + count}) of {x.ShapeText}: SliceRows needs a matrix and rows inside it.");
        }

        Tensor y = Reuse(Alias(into, x), count, x.Columns);
        x.Span.Slice(start * x.Columns, count * x.Columns).CopyTo(y.Span);
        return y;
    }

    /// <summary>The transpose of a matrix: (m, n) to (n, m).</summary>
    public static Tensor Transpose(Tensor x) => Transpose(x, null);

    /// <summary>Transpose into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Transpose(Tensor x, Tensor? into)
    {
        if (x.Rank != 2)
        {
            throw new ArgumentException($"Transpose needs a matrix; got {x.ShapeText}.");
        }

        Tensor y = Reuse(Alias(into, x), x.Columns, x.Rows);
        TransposeInto(x.Span, x.Rows, x.Columns, y.Span, false);
        return y;
    }

    /// <summary>
    /// Inverted dropout: in training each value is zeroed with probability <paramref name="rate"/> and the rest
    /// scaled by 1 / (1 - rate); the mask is a pure function of (<paramref name="seed"/>, index), so the backward
    /// pass recomputes it instead of storing it. Identity when <paramref name="training"/> is false.
    /// </summary>
    public static Tensor Dropout(Tensor x, float rate, int seed, bool training) => Dropout(x, rate, seed, training, null);

    /// <summary>Dropout into <paramref name="into"/> when it is large enough.</summary>
    public static Tensor Dropout(Tensor x, float rate, int seed, bool training, Tensor? into)
    {
        if (rate is < 0f or >= 1f || float.IsNaN(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }

        Tensor y = ReuseLike(into, x);
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
        if (!training || rate == 0f)
        {
            xs.CopyTo(ys);
            return y;
        }

        float keep = 1f / (1f - rate);
        for (int i = 0; i < xs.Length; i++)
        {
            ys[i] = Kept(seed, i, rate) ? xs[i] * keep : 0f;
        }

        return y;
    }

    /// <summary>a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);

    /// <summary>a - b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Subtract(a, b);

    /// <summary>a ⊙ b (elementwise).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Multiply(a, b);

    /// <summary>a / b (elementwise).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Divide(a, b);

    /// <summary>a · s.</summary>
    public static Tensor operator *(Tensor a, float s) => Scale(a, s);

    /// <summary>s · a.</summary>
    public static Tensor operator *(float s, Tensor a) => Scale(a, s);

    /// <summary>-a.</summary>
    public static Tensor operator -(Tensor a) => Negate(a);

    internal static bool Kept(int seed, int index, float rate)
    {
        // SplitMix-style hash of (seed, index) to a uniform value in [0, 1).
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1.0f / (1 << 24)) >= rate;
    }

    internal static void TransposeInto(ReadOnlySpan<float> x, int rows, int columns, Span<float> y, bool accumulate)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float v = x[i * columns + j];
                y[j * rows + i] = accumulate ? y[j * rows + i] + v : v;
            }
        }
    }

    internal static void CheckLabels(Tensor logits, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != logits.Rows)
        {
            throw new ArgumentException($"SoftmaxCrossEntropy: {labels.Length} labels for logits of shape {logits.ShapeText} ({logits.Rows} rows).");
        }

        foreach (int label in labels)
        {
            if ((uint)label >= (uint)logits.Columns)
            {
                throw new ArgumentException($"SoftmaxCrossEntropy: label {label} is outside [0, {logits.Columns}).");
            }
        }
    }

    internal static void CheckSameShape(Tensor a, Tensor b, string op)
    {
        if (!a.SameShape(b))
        {
            throw new ArgumentException($"{op} needs equal shapes; got {a.ShapeText} and {b.ShapeText}.");
        }
    }

    /// <summary>Ops whose kernels read inputs after writing outputs must not write into an input.</summary>
    private static Tensor? Alias(Tensor? into, Tensor a, Tensor? b = null) => ReferenceEquals(into, a) || ReferenceEquals(into, b) ? null : into;

    private static Tensor Unary(Tensor x, Tensor? into, Elementwise.UnaryOp action)
    {
        Tensor y = ReuseLike(into, x);
        Elementwise.Run(action, x.Span, y.Span);
        return y;
    }
}
