using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Autodiff.Kernels;

/// <summary>One piece of parallel work: <see cref="Run"/> is called once for each index in [0, count).</summary>
internal interface IParallelJob
{
    void Run(int index);
}

/// <summary>
/// A fixed set of background threads that run the parts of a kernel together with the calling thread, without
/// allocating (unlike <c>Parallel.For</c>, which allocates per call and would break zero-allocation training).
/// Which thread runs a part never changes the result: kernels split their output into disjoint parts whose
/// arithmetic does not depend on the split.
/// </summary>
/// <remarks>
/// Workers spin for a short while (about 0.2 ms) after each job before they block: a training step issues matrix
/// products a few tens of microseconds apart, and waking a blocked thread costs about as much as a small product.
/// </remarks>
internal static class WorkerPool
{
    private const long SpinTicks = 200 * TimeSpan.TicksPerMillisecond / 1000; // 0.2 ms
    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static int _workers;
    private static int _sleepers;
    private static int _generation;
    private static IParallelJob? _job;
    private static int _count;
    private static int _next;
    private static int _pending;
    private static ExceptionDispatchInfo? _failure;

    /// <summary>Jobs posted to the workers and the times a worker went to sleep waiting for one (for benchmarks).</summary>
    internal static long Jobs, Sleeps;

    /// <summary>Runs <paramref name="job"/> for every index in [0, <paramref name="count"/>) on up to <paramref name="threads"/> threads.</summary>
    public static void Run(IParallelJob job, int count, int threads)
    {
        threads = Math.Min(threads, count);
        if (threads <= 1 || !Monitor.TryEnter(Gate))
        {
            // One thread, or another caller holds the pool: run here (same result, only slower).
            for (int i = 0; i < count; i++)
            {
                job.Run(i);
            }

            return;
        }

        try
        {
            EnsureWorkers(threads - 1);
            Jobs++;
            _job = job;
            _count = count;
            _next = 0;
            _failure = null;
            Volatile.Write(ref _pending, _workers);
            Interlocked.Increment(ref _generation);
            int sleepers = Volatile.Read(ref _sleepers);
            if (sleepers > 0)
            {
                Wake.Release(sleepers);
            }

            Work();
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _pending) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            _job = null;
            _failure?.Throw();
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void EnsureWorkers(int needed)
    {
        while (_workers < needed)
        {
            int seen = Volatile.Read(ref _generation);
            var thread = new Thread(() => WorkerLoop(seen)) { IsBackground = true, Name = "Autodiff kernel worker " + (_workers + 1) };
            thread.Start();
            _workers++;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Work()
    {
        IParallelJob? job = _job;
        if (job is null)
        {
            return;
        }

        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _count)
        {
            try
            {
                job.Run(i);
            }
            catch (Exception exception)
            {
                _failure ??= ExceptionDispatchInfo.Capture(exception);
            }
        }
    }

    // Fully optimised from the first call: the loop is entered once per thread and would otherwise run as
    // unoptimised tier-0 code (with on-stack replacement only much later).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WorkerLoop(int seen)
    {
        while (true)
        {
            // Spin a little for the next job, then sleep until one is posted.
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks > SpinTicks)
                {
                    Interlocked.Increment(ref _sleepers);
                    if (Volatile.Read(ref _generation) == seen)
                    {
                        Interlocked.Increment(ref Sleeps);
                        Wake.Wait();
                    }

                    Interlocked.Decrement(ref _sleepers);
                    start = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                else
                {
                    Thread.SpinWait(20);
                }
            }

            seen = Volatile.Read(ref _generation);
            Work();
            Interlocked.Decrement(ref _pending);
        }
    }
}
