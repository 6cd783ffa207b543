using System;
using System.Numerics.Tensors;

namespace Autodiff.Ops;

/// <summary>Row-wise softmax, log-softmax and the fused softmax cross-entropy over integer labels. x: (B, C).</summary>
public static class Softmax
{
    /// <summary>y = e^(x - max x) / Σ e^(x - max x), per row</summary>
    public static void Forward(ReadOnlySpan<float> x, int columns, Span<float> y)
    {
        for (int r = 0; r < x.Length; r += columns)
        {
            ReadOnlySpan<float> xr = x.Slice(r, columns);
            Span<float> yr = y.Slice(r, columns);
            TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Divide(yr, TensorPrimitives.Sum(yr), yr);
        }
    }

    /// <summary>dx += y ⊙ (dy - Σ dy ⊙ y), per row</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int columns, Span<float> dx)
    {
        for (int r = 0; r < y.Length; r += columns)
        {
            ReadOnlySpan<float> yr = y.Slice(r, columns), dyr = dy.Slice(r, columns);
            Span<float> dxr = dx.Slice(r, columns);
            float dot = TensorPrimitives.Dot(yr, dyr);
            for (int j = 0; j < columns; j++)
            {
                dxr[j] += yr[j] * (dyr[j] - dot);
            }
        }
    }

    /// <summary>y = x - max x - ln Σ e^(x - max x), per row</summary>
    public static void LogForward(ReadOnlySpan<float> x, int columns, Span<float> y)
    {
        for (int r = 0; r < x.Length; r += columns)
        {
            ReadOnlySpan<float> xr = x.Slice(r, columns);
            Span<float> yr = y.Slice(r, columns);
            float max = TensorPrimitives.Max(xr);
            float sum = 0f;
            for (int j = 0; j < columns; j++)
            {
                sum += MathF.Exp(xr[j] - max);
            }

            TensorPrimitives.Subtract(xr, max + MathF.Log(sum), yr);
        }
    }

    /// <summary>dx += dy - e^y · Σ dy, per row (y is the log-softmax)</summary>
    public static void LogBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, int columns, Span<float> dx)
    {
        for (int r = 0; r < y.Length; r += columns)
        {
            ReadOnlySpan<float> yr = y.Slice(r, columns), dyr = dy.Slice(r, columns);
            Span<float> dxr = dx.Slice(r, columns);
            float sum = TensorPrimitives.Sum(dyr);
            for (int j = 0; j < columns; j++)
            {
                dxr[j] += dyr[j] - MathF.Exp(yr[j]) * sum;
            }
        }
    }

    /// <summary>loss = mean over rows of (ln Σ e^x - x[label]), computed with the max subtracted (stable)</summary>
    public static float CrossEntropyForward(ReadOnlySpan<float> logits, int columns, ReadOnlySpan<int> labels)
    {
        int rows = labels.Length;
        Span<float> e = ShiftedExp(logits, columns, rows, out Span<float> maxes);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            total += maxes[r] + MathF.Log(TensorPrimitives.Sum(e.Slice(r * columns, columns))) - logits[r * columns + labels[r]];
        }

        return (float)(total / rows);
    }

    /// <summary>dlogits += dloss · (softmax(x) - onehot(label)) / rows</summary>
    public static void CrossEntropyBackward(ReadOnlySpan<float> logits, int columns, ReadOnlySpan<int> labels, float dloss, Span<float> dlogits)
        => CrossEntropyBackward(logits, columns, labels, dloss, dlogits, accumulate: true);

    /// <summary>The same, writing instead of adding when <paramref name="accumulate"/> is false.</summary>
    public static void CrossEntropyBackward(ReadOnlySpan<float> logits, int columns, ReadOnlySpan<int> labels, float dloss, Span<float> dlogits, bool accumulate)
    {
        int rows = labels.Length;
        float scale = dloss / rows;
        Span<float> e = ShiftedExp(logits, columns, rows, out _);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> er = e.Slice(r * columns, columns);
            Span<float> dr = dlogits.Slice(r * columns, columns);
            float inv = scale / TensorPrimitives.Sum(er);
            if (accumulate)
            {
                TensorPrimitives.MultiplyAdd(er, inv, dr, dr);
            }
            else
            {
                TensorPrimitives.Multiply(er, inv, dr);
            }

            dr[labels[r]] -= scale;
        }
    }

    [ThreadStatic] private static float[]? _exp;
    [ThreadStatic] private static float[]? _max;

    /// <summary>
    /// e^(x - max of its row) for every value, in a per-thread buffer reused from call to call (no allocation once
    /// grown), with the row maxima. The exponentials of all rows are one vectorised call: with 10 classes a row
    /// is too short to vectorise on its own, and 1,280 scalar exponentials per batch took 17 µs of the MLP step.
    /// </summary>
    private static Span<float> ShiftedExp(ReadOnlySpan<float> logits, int columns, int rows, out Span<float> maxes)
    {
        int length = rows * columns;
        if (_exp is null || _exp.Length < length)
        {
            _exp = new float[length];
        }

        if (_max is null || _max.Length < rows)
        {
            _max = new float[rows];
        }

        Span<float> e = _exp.AsSpan(0, length);
        maxes = _max.AsSpan(0, rows);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = logits.Slice(r * columns, columns);
            float max = TensorPrimitives.Max(xr);
            maxes[r] = max;
            TensorPrimitives.Subtract(xr, max, e.Slice(r * columns, columns));
        }

        TensorPrimitives.Exp(e, e);
        return e;
    }
}
