using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Ops;

// Elementwise activations: each a Forward (y = f(x)) and a Backward that accumulates dx += dy * f'(x),
// written with whichever of x and y makes f' cheapest. Vector<T> loops with a scalar tail.

/// <summary>y = max(x, 0).</summary>
public static class Relu
{
    /// <summary>y = max(x, 0)</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>dx += x > 0 ? dy : 0</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => Backward(x, dy, dx, accumulate: true);

    /// <summary>dx += x > 0 ? dy : 0, or dx = ... when <paramref name="accumulate"/> is false</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool accumulate)
    {
        if (!accumulate)
        {
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j <= x.Length - Vector<float>.Count; j += Vector<float>.Count)
                {
                    Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(x[j..]), Vector<float>.Zero), new Vector<float>(dy[j..]), Vector<float>.Zero).CopyTo(dx[j..]);
                }
            }

            for (; j < x.Length; j++)
            {
                dx[j] = x[j] > 0f ? dy[j] : 0f;
            }

            return;
        }

        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vx = new Vector<float>(x[i..]);
                var vdy = new Vector<float>(dy[i..]);
                (new Vector<float>(dx[i..]) + Vector.ConditionalSelect(Vector.GreaterThan(vx, Vector<float>.Zero), vdy, Vector<float>.Zero)).CopyTo(dx[i..]);
            }
        }

        for (; i < x.Length; i++)
        {
            dx[i] += x[i] > 0f ? dy[i] : 0f;
        }
    }
}

/// <summary>y = x > 0 ? x : slope·x.</summary>
public static class LeakyRelu
{
    /// <summary>y = x > 0 ? x : slope·x</summary>
    public static void Forward(ReadOnlySpan<float> x, float slope, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] > 0f ? x[i] : slope * x[i];
        }
    }

    /// <summary>dx += dy · (x > 0 ? 1 : slope)</summary>
    public static void Backward(ReadOnlySpan<float> x, float slope, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] += x[i] > 0f ? dy[i] : slope * dy[i];
        }
    }
}

/// <summary>y = 1 / (1 + e^-x).</summary>
public static class Sigmoid
{
    /// <summary>y = 1 / (1 + e^-x)</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    /// <summary>dx += dy · y · (1 - y)</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vy = new Vector<float>(y[i..]);
                (new Vector<float>(dx[i..]) + new Vector<float>(dy[i..]) * vy * (Vector<float>.One - vy)).CopyTo(dx[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            dx[i] += dy[i] * y[i] * (1f - y[i]);
        }
    }
}

/// <summary>y = tanh(x).</summary>
public static class Tanh
{
    /// <summary>y = tanh(x)</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    /// <summary>dx += dy · (1 - y²)</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vy = new Vector<float>(y[i..]);
                (new Vector<float>(dx[i..]) + new Vector<float>(dy[i..]) * (Vector<float>.One - vy * vy)).CopyTo(dx[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            dx[i] += dy[i] * (1f - y[i] * y[i]);
        }
    }
}

/// <summary>y = e^x.</summary>
public static class Exp
{
    /// <summary>y = e^x</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Exp(x, y);

    /// <summary>dx += dy · y</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => TensorPrimitives.FusedMultiplyAdd(dy, y, dx, dx);
}

/// <summary>y = ln x.</summary>
public static class Log
{
    /// <summary>y = ln x</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Log(x, y);

    /// <summary>dx += dy / x</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] += dy[i] / x[i];
        }
    }
}
