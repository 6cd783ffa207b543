using System;
using Autodiff.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Autodiff;

/// <summary>The four elementwise binary ops.</summary>
internal enum BinaryKind
{
    Add,
    Subtract,
    Multiply,
    Divide,
}

/// <summary>How the operands of an elementwise op line up.</summary>
internal enum Broadcast
{
    /// <summary>Equal shapes.</summary>
    Same,

    /// <summary>b is a row vector repeated over a's rows (a bias).</summary>
    RowB,

    /// <summary>b holds one value.</summary>
    ScalarB,

    /// <summary>a is a row vector repeated over b's rows.</summary>
    RowA,

    /// <summary>a holds one value.</summary>
    ScalarA,
}

// Broadcasting: equal shapes, a row vector (shape (n,) or (1, n)) against a (m, n) matrix, or one value.
public sealed partial class Tensor
{
    internal static Broadcast Classify(Tensor a, Tensor b, BinaryKind op)
    {
        if (a.SameShape(b))
        {
            return Broadcast.Same;
        }

        if (b.Rows == 1 && b.Columns == a.Columns && a.Length >= b.Length)
        {
            return Broadcast.RowB;
        }

        if (b.Length == 1)
        {
            return Broadcast.ScalarB;
        }

        if (a.Rows == 1 && a.Columns == b.Columns)
        {
            return Broadcast.RowA;
        }

        if (a.Length == 1)
        {
            return Broadcast.ScalarA;
        }

        throw new ArgumentException($"{op}: cannot broadcast {a.ShapeText} with {b.ShapeText}; use equal shapes, a row vector of the last dimension, or one value.");
    }

    private static Tensor Binary(BinaryKind kind, Tensor a, Tensor b, Tensor? into)
    {
        Broadcast mode = Classify(a, b, kind);
        Tensor big = mode is Broadcast.RowA or Broadcast.ScalarA ? b : a;
        Tensor y = ReuseLike(mode == Broadcast.Same ? into : Alias(into, a, b), big);
        if (mode == Broadcast.Same)
        {
            // Elementwise over the whole tensor, split over the kernel threads.
            Elementwise.Run(
                kind switch
                {
                    BinaryKind.Add => static (x, z, r) => TensorPrimitives.Add(x, z, r),
                    BinaryKind.Subtract => static (x, z, r) => TensorPrimitives.Subtract(x, z, r),
                    BinaryKind.Multiply => static (x, z, r) => TensorPrimitives.Multiply(x, z, r),
                    _ => static (x, z, r) => TensorPrimitives.Divide(x, z, r),
                },
                a.Span, b.Span, y.Span);
            return y;
        }

        // Broadcast: by rows of the larger operand, split over the kernel threads.
        int columns = big.Columns;
        unsafe
        {
            fixed (float* pa = a.Span, pb = b.Span, py = y.Span)
            {
                Ranges.Run(new BroadcastRows(kind, mode, pa, pb, py, columns), big.Rows, Math.Max(1, Ranges.ElementGrain / Math.Max(1, columns)), 1);
            }
        }

        return y;
    }

    /// <summary>Rows [start, end) of a broadcast binary op.</summary>
    private readonly unsafe struct BroadcastRows(BinaryKind kind, Broadcast mode, float* a, float* b, float* y, int columns) : IRangeKernel
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                long o = (long)r * columns;
                var ar = new ReadOnlySpan<float>(mode is Broadcast.RowA or Broadcast.ScalarA ? a : a + o, mode == Broadcast.ScalarA ? 1 : columns);
                var br = new ReadOnlySpan<float>(mode is Broadcast.RowB or Broadcast.ScalarB ? b : b + o, mode == Broadcast.ScalarB ? 1 : columns);
                var yr = new Span<float>(y + o, columns);
                if (mode == Broadcast.ScalarA)
                {
                    Apply(kind, ar[0], br, yr);
                }
                else if (mode == Broadcast.ScalarB)
                {
                    Apply(kind, ar, br[0], yr);
                }
                else
                {
                    Apply(kind, ar, br, yr);
                }
            }
        }
    }

    private static void Apply(BinaryKind kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryKind.Subtract: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Multiply: TensorPrimitives.Multiply(a, b, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }

    private static void Apply(BinaryKind kind, ReadOnlySpan<float> a, float b, Span<float> y)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryKind.Subtract: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Multiply: TensorPrimitives.Multiply(a, b, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }

    private static void Apply(BinaryKind kind, float a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(b, a, y); break;
            case BinaryKind.Subtract: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Multiply: TensorPrimitives.Multiply(b, a, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }
}
