using System.Diagnostics;
using Autodiff.Kernels;

namespace Autodiff.Benchmarks;

/// <summary><c>--profile-parts</c>: the hand-written MLP step cut into its kernels, each timed on its own (not a measurement for the tables).</summary>
internal static class PartsProfile
{
    public static void Run(int threads)
    {
        Tensor.Threads = threads;
        var random = new Random(7);
        var x = new Tensor(128, 784);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        int[] labels = Enumerable.Range(0, 128).Select(_ => random.Next(10)).ToArray();
        var reference = new HandWrittenMlp(new BenchMlp(1), threads);
        reference.Step(x, labels); // binds the batch the parts read
        (string Name, Action Run)[] parts = reference.Parts;
        var totals = new double[parts.Length];
        var mins = Enumerable.Repeat(1e9, parts.Length).ToArray();
        long jobs0 = WorkerPool.Jobs, sleeps0 = WorkerPool.Sleeps, wp0 = WorkerPool.WorkerParts;
        for (int round = 0; round < 600; round++)
        {
            for (int p = 0; p < parts.Length; p++)
            {
                long t0 = Stopwatch.GetTimestamp();
                parts[p].Run();
                double us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                if (round >= 100)
                {
                    totals[p] += us;
                    mins[p] = Math.Min(mins[p], us);
                }
            }
        }

        double sum = totals.Sum() / 500;
        Console.WriteLine($"threads={threads} total {sum:F0} us (jobs {WorkerPool.Jobs - jobs0}, sleeps {WorkerPool.Sleeps - sleeps0}, worker parts {WorkerPool.WorkerParts - wp0}): " + string.Join(", ", parts.Select((p, i) => $"{p.Name} {totals[i] / 500:F1} (min {mins[i]:F1})")));
    }
}
