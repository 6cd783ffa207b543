using System;
using System.Runtime.CompilerServices;
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
/// <para>Parts are claimed one at a time by whichever thread is free, the caller included, and the caller waits
/// only for parts that were claimed: a worker that is slow to arrive (asleep, or its CPU taken) does not delay
/// the job; it finds nothing left and goes back to waiting. This matters under a hypervisor: a worker that has
/// gone to sleep took 150-300 µs to wake on the 2-core development VM (its virtual CPU halts), longer than the
/// matrix product it was woken for, and a caller that waited for it ran a 130 µs product in about 380 µs.</para>
/// <para>Workers spin for a while (<see cref="SpinTicks"/>) after each job before they block: a training step
/// issues its products less than 0.25 ms apart. Not longer: a spinning worker burns a core that other work on
/// the machine could use, and since the caller no longer waits for late workers, a worker that did fall asleep
/// costs a job its help, not its time.</para>
/// <para>The state of a job is one 64-bit ticket, (generation, part count, next part): a thread claims a part by
/// compare-and-swap on the whole ticket, so a thread that read an older ticket can never claim a part of a newer
/// job under the old job's count.</para>
/// </remarks>
internal static class WorkerPool
{
    private const long SpinTicks = 250 * TimeSpan.TicksPerMillisecond / 1000; // 0.25 ms
    private const int PartBits = 20;
    private const long PartMask = (1L << PartBits) - 1;
    private static int _busy;
    private static readonly SemaphoreSlim Wake = new(0);
    private static int _workers;
    private static int _sleepers;
    private static IParallelJob? _job;
    private static long _ticket;
    private static int _done;
    private static ExceptionDispatchInfo? _failure;

    /// <summary>Jobs posted to the workers, the times a worker went to sleep waiting for one, and parts run by workers (for benchmarks).</summary>
    internal static long Jobs, Sleeps, WorkerParts;

    /// <summary>Stopwatch ticks the calling thread spent in jobs run by the pool (for the serial fraction of a step).</summary>
    internal static long ParallelTicks;

    /// <summary>Runs <paramref name="job"/> for every index in [0, <paramref name="count"/>) on up to <paramref name="threads"/> threads.</summary>
    public static void Run(IParallelJob job, int count, int threads)
    {
        threads = Math.Min(threads, count);
        // Workers are started before the busy check, so the first call with a thread count starts them even when it
        // has to run inline: a later call then never allocates (a thread) because the pool happened to be free.
        if (threads > 1 && Volatile.Read(ref _workers) < threads - 1)
        {
            EnsureWorkers(threads - 1);
        }

        // Not a Monitor: it is reentrant, and a job that ran a parallel job of its own on the calling thread would
        // overwrite the ticket of the job it is part of.
        if (threads <= 1 || count > PartMask || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            // One thread, or the pool is busy (another caller, or a job nested in a job): run here (same result, only
            // slower), with the pooled path's semantics: every part runs, and the first failure is thrown at the end.
            ExceptionDispatchInfo? failure = null;
            for (int i = 0; i < count; i++)
            {
                try
                {
                    job.Run(i);
                }
                catch (Exception exception)
                {
                    failure ??= ExceptionDispatchInfo.Capture(exception);
                }
            }

            failure?.Throw();
            return;
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            Jobs++;
            _failure = null;
            _done = 0;
            Volatile.Write(ref _job, job);
            long generation = Generation(Volatile.Read(ref _ticket)) + 1;
            Volatile.Write(ref _ticket, (generation << (2 * PartBits)) | ((long)count << PartBits));

            // Wake the sleepers (once: the count is taken), who help if they arrive while parts are left.
            int sleepers = Interlocked.Exchange(ref _sleepers, 0);
            if (sleepers > 0)
            {
                Wake.Release(sleepers);
            }

            Work(job, generation);
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _done) != count)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            Volatile.Write(ref _job, null);
            _failure?.Throw();
        }
        finally
        {
            ParallelTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
            Volatile.Write(ref _busy, 0);
        }
    }

    private static long Generation(long ticket) => ticket >> (2 * PartBits);

    private static readonly object Starting = new();

    private static void EnsureWorkers(int needed)
    {
        lock (Starting)
        {
            while (_workers < needed)
            {
                var thread = new Thread(WorkerLoop) { IsBackground = true, Name = "Autodiff kernel worker " + (_workers + 1) };
                thread.Start();
                Volatile.Write(ref _workers, _workers + 1);
            }
        }
    }

    /// <summary>Claims and runs parts of the job of <paramref name="generation"/> until none is left; returns how many it ran.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work(IParallelJob job, long generation)
    {
        int ran = 0;
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            int next = (int)(ticket & PartMask);
            int count = (int)((ticket >> PartBits) & PartMask);
            if (Generation(ticket) != generation || next >= count)
            {
                return ran;
            }

            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket)
            {
                continue;
            }

            try
            {
                job.Run(next);
            }
            catch (Exception exception)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(exception), null);
            }

            ran++;
            Interlocked.Increment(ref _done);
        }
    }

    // Fully optimised from the first call: the loop is entered once per thread and would otherwise run as
    // unoptimised tier-0 code (with on-stack replacement only much later).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WorkerLoop()
    {
        long seen = Generation(Volatile.Read(ref _ticket));
        while (true)
        {
            // Spin a while for the next job, then sleep until one is posted.
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            long generation;
            while ((generation = Generation(Volatile.Read(ref _ticket))) == seen)
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks > SpinTicks)
                {
                    Interlocked.Increment(ref _sleepers);
                    if (Generation(Volatile.Read(ref _ticket)) == seen)
                    {
                        Interlocked.Increment(ref Sleeps);
                        Wake.Wait();
                    }

                    start = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                else
                {
                    Thread.SpinWait(20);
                }
            }

            seen = generation;
            // The job is published before its ticket; a ticket of a newer generation than the job read here
            // makes every claim below fail, so a stale job is never run.
            if (Volatile.Read(ref _job) is { } job)
            {
                Interlocked.Add(ref WorkerParts, Work(job, generation));
            }
        }
    }
}
