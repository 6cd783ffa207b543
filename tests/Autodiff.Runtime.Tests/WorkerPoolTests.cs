using Autodiff.Kernels;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>The worker pool runs every part of every job exactly once, whoever claims it, and reports failures.</summary>
public class WorkerPoolTests
{
    private sealed class CountingJob : IParallelJob
    {
        public int[] Runs = new int[64];
        public int Spin;
        public int Throw = -1;

        public void Run(int index)
        {
            if (index == Throw)
            {
                throw new InvalidOperationException("part " + index);
            }

            Thread.SpinWait(Spin);
            Interlocked.Increment(ref Runs[index]);
        }
    }

    [Fact]
    public void Every_part_runs_exactly_once_over_many_jobs()
    {
        var random = new Random(5);
        var job = new CountingJob();
        for (int trial = 0; trial < 20_000; trial++)
        {
            int count = 1 + random.Next(8);
            Array.Clear(job.Runs);
            // Parts from nothing to a few microseconds, so that workers sometimes arrive late, sometimes early.
            job.Spin = random.Next(3) switch { 0 => 0, 1 => 50, _ => 2000 };
            WorkerPool.Run(job, count, 2 + random.Next(2));
            for (int i = 0; i < job.Runs.Length; i++)
            {
                Assert.True(job.Runs[i] == (i < count ? 1 : 0), $"trial {trial}: part {i} of {count} ran {job.Runs[i]} times");
            }
        }
    }

    private sealed class NestingJob : IParallelJob
    {
        public readonly CountingJob Inner = new();
        public readonly int[] Runs = new int[4];

        public void Run(int index)
        {
            Interlocked.Increment(ref Runs[index]);
            if (index == 0)
            {
                WorkerPool.Run(Inner, 8, 2); // runs inline: the pool is busy with this job
            }
        }
    }

    [Fact]
    public async Task A_job_nested_in_a_job_runs_inline_without_disturbing_the_outer_one()
    {
        // With a reentrant lock the nested job overwrote the outer job's ticket and the caller waited forever:
        // a hang is reported as a failure, not left to the test run's timeout.
        var run = Task.Run(() =>
        {
            for (int trial = 0; trial < 1000; trial++)
            {
                var job = new NestingJob();
                WorkerPool.Run(job, 4, 2);
                Assert.Equal(new[] { 1, 1, 1, 1 }, job.Runs);
                Assert.Equal(Enumerable.Repeat(1, 8), job.Inner.Runs.Take(8));
            }
        });
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))));
        await run;
    }

    private sealed class WideNestingJob : IParallelJob
    {
        public readonly CountingJob Inner = new();
        public int Threads;

        public void Run(int index)
        {
            if (index == 0)
            {
                WorkerPool.Run(Inner, Threads, Threads); // inline: the pool is busy
            }
        }
    }

    [Fact]
    public void A_call_that_ran_inline_starts_the_workers_so_that_the_same_call_later_does_not_allocate()
    {
        // A training step that ran inline during warm-up (another caller had the pool) and on the pool in its
        // measured loop started a worker thread there: 1840 bytes in a zero-allocation test, once in a while in CI.
        var job = new WideNestingJob { Threads = Environment.ProcessorCount + 2 };
        WorkerPool.Run(job, 2, 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        WorkerPool.Run(job.Inner, job.Threads, job.Threads);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_failing_part_is_rethrown_and_the_pool_keeps_working()
    {
        var job = new CountingJob { Throw = 1 };
        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(job, 4, 2));
        Assert.Equal("part 1", error.Message);
        Assert.Equal(new[] { 1, 0, 1, 1 }, job.Runs.Take(4));

        job = new CountingJob();
        WorkerPool.Run(job, 4, 2);
        Assert.Equal(new[] { 1, 1, 1, 1 }, job.Runs.Take(4));
    }

    [Fact]
    public void A_failing_part_inline_has_the_same_semantics_as_on_the_pool()
    {
        // One thread (as when the pool is busy with another caller): every other part still runs, the failure comes at the end.
        var job = new CountingJob { Throw = 1 };
        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(job, 4, 1));
        Assert.Equal("part 1", error.Message);
        Assert.Equal(new[] { 1, 0, 1, 1 }, job.Runs.Take(4));
    }
}
