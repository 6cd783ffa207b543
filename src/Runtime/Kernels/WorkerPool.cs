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
internal static class WorkerPool
{
    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Start = new(0);
    private static readonly ManualResetEventSlim Done = new(false);
    private static int _workers;
    private static IParallelJob? _job;
    private static int _count;
    private static int _next;
    private static int _pending;
    private static ExceptionDispatchInfo? _failure;

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
            _job = job;
            _count = count;
            _next = 0;
            _failure = null;
            _pending = threads - 1;
            Done.Reset();
            Start.Release(threads - 1);
            Work();
            if (Volatile.Read(ref _pending) != 0)
            {
                Done.Wait();
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
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = "Autodiff kernel worker " + (_workers + 1) };
            thread.Start();
            _workers++;
        }
    }

    private static void Work()
    {
        IParallelJob job = _job!;
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

    private static void WorkerLoop()
    {
        while (true)
        {
            Start.Wait();
            Work();
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                Done.Set();
            }
        }
    }
}
