using System;

namespace Autodiff.Kernels;

/// <summary>Work over the index range [start, end) of some index space (elements, rows, columns, tensors).</summary>
/// <remarks>A struct, so the parallel job calls it directly; it holds pointers to memory its caller has pinned.</remarks>
internal interface IRangeKernel
{
    void Run(int start, int end);
}

/// <summary>
/// Splits a range over <see cref="Tensor.Threads"/> threads of the <see cref="WorkerPool"/>: the elementwise ops, the
/// bias gradient's column sums, the batch gather, the divergence check and the parameter average. Without allocating:
/// each thread keeps one job object per kernel type.
/// </summary>
/// <remarks>
/// Every kernel run through this writes disjoint parts of its output, and each output value is computed by the same
/// arithmetic in the same order whichever part it falls in, so results do not depend on the thread count. A part
/// gets at least <c>grain</c> indices: below that, waking a worker (a few µs) costs more than it saves.
/// </remarks>
internal static class Ranges
{
    /// <summary>Elements per part for memory-bound elementwise work: about 10 µs of work a part on one core.</summary>
    public const int ElementGrain = 16_384;

    /// <summary>Runs <paramref name="kernel"/> over [0, <paramref name="length"/>) in parts of at least
    /// <paramref name="grain"/> indices whose bounds are multiples of <paramref name="align"/> (16 floats: a cache line,
    /// so no two threads write one line).</summary>
    public static void Run<TKernel>(TKernel kernel, int length, int grain, int align = 16)
        where TKernel : struct, IRangeKernel
    {
        int parts = Parts(length, grain, align);
        if (parts <= 1)
        {
            kernel.Run(0, length);
            return;
        }

        Job<TKernel> job = Job<TKernel>.Mine ??= new Job<TKernel>();
        if (job.Busy)
        {
            // A kernel of this type that runs one of its own kind: its parts are already spread over the threads.
            kernel.Run(0, length);
            return;
        }

        job.Set(kernel, length, parts, align);
        try
        {
            WorkerPool.Run(job, parts, parts);
        }
        finally
        {
            job.Clear();
        }
    }

    /// <summary>How many parts <see cref="Run{TKernel}"/> makes of a range.</summary>
    public static int Parts(int length, int grain, int align = 16)
    {
        long byGrain = length / Math.Max(1, grain);
        long byAlign = length / Math.Max(1, align);
        return (int)Math.Max(1, Math.Min(Math.Min(byGrain, byAlign), Tensor.Threads));
    }

    /// <summary>Bounds of part <paramref name="part"/> of <paramref name="parts"/>: equal shares rounded to <paramref name="align"/>, the last part to the end.</summary>
    public static (int Start, int End) Bounds(int part, int parts, int length, int align)
    {
        int units = (length + align - 1) / align;
        int start = (int)Math.Min(length, (long)units * part / parts * align);
        int end = part == parts - 1 ? length : (int)Math.Min(length, (long)units * (part + 1) / parts * align);
        return (start, end);
    }

    private sealed class Job<TKernel> : IParallelJob
        where TKernel : struct, IRangeKernel
    {
        [ThreadStatic] internal static Job<TKernel>? Mine;

        private TKernel _kernel;
        private int _length, _parts, _align;

        public bool Busy { get; private set; }

        public void Set(TKernel kernel, int length, int parts, int align)
        {
            (_kernel, _length, _parts, _align) = (kernel, length, parts, align);
            Busy = true;
        }

        public void Clear()
        {
            _kernel = default;
            Busy = false;
        }

        public void Run(int index)
        {
            (int start, int end) = Bounds(index, _parts, _length, _align);
            if (start < end)
            {
                _kernel.Run(start, end);
            }
        }
    }
}
