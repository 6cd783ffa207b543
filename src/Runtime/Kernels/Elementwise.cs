using System;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Autodiff.Kernels;

/// <summary>
/// Elementwise kernels split over the kernel threads (<see cref="Ranges"/>): an op given as a static lambda over spans
/// runs on equal slices of its operands, one slice a thread. Each element's arithmetic is the op's own, so the result
/// is the same for any thread count.
/// </summary>
internal static unsafe class Elementwise
{
    /// <summary>y[i] = f(x[i]) over a slice.</summary>
    public delegate void UnaryOp(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>y[i] = f(a[i], b[i], y[i]) over a slice (y may be read: accumulating ops).</summary>
    public delegate void BinaryOp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

    /// <summary><paramref name="op"/> over equal-length <paramref name="x"/> and <paramref name="y"/> (they may be the same memory).</summary>
    public static void Run(UnaryOp op, ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"Elementwise op over {x.Length} and {y.Length} values.");
        }

        fixed (float* px = x, py = y)
        {
            Ranges.Run(new Unary(op, px, py), y.Length, Ranges.ElementGrain);
        }
    }

    /// <summary><paramref name="op"/> over equal-length <paramref name="a"/>, <paramref name="b"/> and <paramref name="y"/>.</summary>
    public static void Run(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        if (a.Length != y.Length || b.Length != y.Length)
        {
            throw new ArgumentException($"Elementwise op over {a.Length}, {b.Length} and {y.Length} values.");
        }

        fixed (float* pa = a, pb = b, py = y)
        {
            Ranges.Run(new Binary(op, pa, pb, py), y.Length, Ranges.ElementGrain);
        }
    }

    /// <summary>y = a + (b - a) · t (TensorPrimitives.Lerp), split over the threads.</summary>
    public static void Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float t, Span<float> y)
    {
        if (a.Length != y.Length || b.Length != y.Length)
        {
            throw new ArgumentException($"Lerp over {a.Length}, {b.Length} and {y.Length} values.");
        }

        fixed (float* pa = a, pb = b, py = y)
        {
            Ranges.Run(new LerpKernel(pa, pb, t, py), y.Length, Ranges.ElementGrain);
        }
    }

    /// <summary>y = x (a copy split over the threads).</summary>
    public static void Copy(ReadOnlySpan<float> x, Span<float> y) => Run(static (s, d) => s.CopyTo(d), x, y);

    /// <summary>
    /// sums[j] (+)= Σ_r m[r, j] for a row-major <paramref name="m"/> of <paramref name="columns"/> columns: the gradient of a
    /// bias. Split over columns, each part adding every row's slice of its columns in row order (the same order
    /// as on one thread). <paramref name="overwrite"/>: the first row initialises the sums instead of adding.
    /// <paramref name="negate"/>: subtract instead.
    /// </summary>
    public static void ColumnSums(ReadOnlySpan<float> m, int columns, Span<float> sums, bool overwrite, bool negate)
    {
        if (columns == 0 || sums.Length != columns || m.Length % columns != 0)
        {
            throw new ArgumentException($"Column sums of {m.Length} values in {columns} columns into {sums.Length}.");
        }

        int rows = m.Length / columns;
        fixed (float* pm = m, ps = sums)
        {
            // A part covers whole columns: at least ElementGrain elements of m, and 16 columns (a cache line of sums).
            int grain = Math.Max(16, Ranges.ElementGrain / Math.Max(1, rows));
            Ranges.Run(new ColumnSum(pm, ps, rows, columns, overwrite, negate), columns, grain);
        }
    }

    /// <summary>Whether every value is finite (no NaN, no infinity), the parts checked on all threads.</summary>
    public static bool AllFinite(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            return true;
        }

        int parts = Ranges.Parts(x.Length, Ranges.ElementGrain * 4);
        if (parts <= 1)
        {
            return float.IsFinite(TensorPrimitives.MaxMagnitude(x));
        }

        // One flag a part, each on its own cache line.
        bool* flags = stackalloc bool[64 * parts];
        fixed (float* px = x)
        {
            Ranges.Run(new Finite(px, flags, x.Length, parts), parts, 1, 1);
        }

        for (int p = 0; p < parts; p++)
        {
            if (!flags[64 * p])
            {
                return false;
            }
        }

        return true;
    }

    private readonly struct Unary(UnaryOp op, float* x, float* y) : IRangeKernel
    {
        public void Run(int start, int end) => op(new ReadOnlySpan<float>(x + start, end - start), new Span<float>(y + start, end - start));
    }

    private readonly struct Binary(BinaryOp op, float* a, float* b, float* y) : IRangeKernel
    {
        public void Run(int start, int end) => op(new ReadOnlySpan<float>(a + start, end - start), new ReadOnlySpan<float>(b + start, end - start), new Span<float>(y + start, end - start));
    }

    private readonly struct LerpKernel(float* a, float* b, float t, float* y) : IRangeKernel
    {
        public void Run(int start, int end) => TensorPrimitives.Lerp(new ReadOnlySpan<float>(a + start, end - start), new ReadOnlySpan<float>(b + start, end - start), t, new Span<float>(y + start, end - start));
    }

    private readonly struct ColumnSum(float* m, float* sums, int rows, int columns, bool overwrite, bool negate) : IRangeKernel
    {
        public void Run(int start, int end)
        {
            var d = new Span<float>(sums + start, end - start);
            for (int r = 0; r < rows; r++)
            {
                var row = new ReadOnlySpan<float>(m + (long)r * columns + start, end - start);
                if (r == 0 && overwrite)
                {
                    if (negate)
                    {
                        TensorPrimitives.Negate(row, d);
                    }
                    else
                    {
                        row.CopyTo(d);
                    }
                }
                else if (negate)
                {
                    TensorPrimitives.Subtract(d, row, d);
                }
                else
                {
                    TensorPrimitives.Add(d, row, d);
                }
            }
        }
    }

    // Index space: the parts themselves (one index a part), each checking its share of x.
    private readonly struct Finite(float* x, bool* flags, int length, int parts) : IRangeKernel
    {
        public void Run(int start, int end)
        {
            for (int p = start; p < end; p++)
            {
                (int s, int e) = Ranges.Bounds(p, parts, length, 16);
                flags[64 * p] = s >= e || float.IsFinite(TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(x + s, e - s)));
            }
        }
    }
}
