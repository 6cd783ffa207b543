using System.Diagnostics;
using Autodiff.Kernels;

namespace Autodiff.Benchmarks;

/// <summary>
/// <c>--scaling [maxThreads]</c>: samples per second of the whole training step (<see cref="StepWorkload"/>) against the
/// thread count for the three shapes of issue 29, the time a step spends outside parallel jobs, and the serial
/// fraction (Amdahl) it implies. A plain timed loop, for <c>bench/scaling.sh</c> on machines without the SDK;
/// the BenchmarkDotNet figures are <see cref="TrainingStepBenchmarks"/>.
/// </summary>
internal static class Scaling
{
    public static void Run(int maxThreads, string[] shapes)
    {
        Console.WriteLine($"# {Environment.ProcessorCount} logical CPUs, {Tensor.PhysicalCores} physical cores; steps of the Digits network (Adam), median of 5 rounds");
        Console.Write("# worker pool overhead (a job of one 5 µs part per thread, its time less 5 µs, median of 20,000):");
        for (int threads = 2; threads <= maxThreads; threads *= 2)
        {
            Console.Write($" {threads} threads {RoundTrip(threads):F2} µs;");
        }

        Console.WriteLine();
        Measure(shapes[0], 1); // a throwaway pass: the process's first measurement runs while tiering still replaces code
        foreach (string shape in shapes)
        {
            Console.WriteLine($"\n## batch x inputs x hidden = {shape}");
            Console.WriteLine($"{"threads",7} {"samples/s",12} {"µs/step",10} {"speed-up",9} {"serial µs",10} {"jobs/step",10}");
            double one = 0;
            double serialOne = double.NaN;
            foreach (int threads in Counts(maxThreads))
            {
                (double us, double serialUs, double jobs) = Measure(shape, threads);
                int batch = int.Parse(shape.Split('x')[0]);
                if (threads == 1)
                {
                    one = us;
                }
                else if (double.IsNaN(serialOne))
                {
                    serialOne = serialUs;
                }

                Console.WriteLine($"{threads,7} {batch / us * 1e6,12:N0} {us,10:F1} {one / us,9:F2} {(threads == 1 ? "" : serialUs.ToString("F1")),10} {jobs,10:F1}");
            }

            if (!double.IsNaN(serialOne))
            {
                double s = serialOne / one;
                Console.WriteLine($"serial fraction (time outside parallel jobs at 2 threads / step at 1 thread): {s:P1}; Amdahl's bound at 16 threads: {1 / (s + (1 - s) / 16):F1}x");
            }
        }
    }

    /// <summary>1, 2, 4, ... and <paramref name="most"/> itself.</summary>
    private static IEnumerable<int> Counts(int most)
    {
        int threads = 1;
        for (; threads < most; threads *= 2)
        {
            yield return threads;
        }

        yield return most;
    }

    /// <summary>µs a job of one 5 µs part per thread takes beyond 5 µs: the pool's wake-up, claims and join.</summary>
    public static double RoundTrip(int threads)
    {
        var job = new SpinJob();
        var times = new double[20_000];
        for (int i = -2_000; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            WorkerPool.Run(job, threads, threads);
            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds - 5;
            }
        }

        Array.Sort(times);
        return times[times.Length / 2];
    }

    private sealed class SpinJob : IParallelJob
    {
        public void Run(int index)
        {
            long start = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(start).Ticks < 50)
            {
            }
        }
    }

    // Median of five rounds of enough steps for about 0.3 s each, after a warm-up of a second (the first shape's first
    // thread count otherwise measures code that tiered compilation has not finished optimising).
    private static (double Us, double SerialUs, double Jobs) Measure(string shape, int threads)
    {
        var workload = new StepWorkload(shape, threads);
        int steps = 1;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 0.3)
        {
            for (int i = 0; i < steps; i++)
            {
                workload.Step();
            }

            steps *= 2;
        }

        steps /= 2;
        while (clock.Elapsed.TotalSeconds < 1.0)
        {
            workload.Step();
        }

        var rounds = new List<(double Us, double SerialUs, double Jobs)>();
        for (int round = 0; round < 5; round++)
        {
            long jobs = WorkerPool.Jobs, parallel = WorkerPool.ParallelTicks;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++)
            {
                workload.Step();
            }

            long elapsed = Stopwatch.GetTimestamp() - start;
            double us = elapsed * 1e6 / Stopwatch.Frequency / steps;
            double serial = (elapsed - (WorkerPool.ParallelTicks - parallel)) * 1e6 / Stopwatch.Frequency / steps;
            rounds.Add((us, serial, (double)(WorkerPool.Jobs - jobs) / steps));
        }

        return rounds.OrderBy(r => r.Us).ElementAt(2);
    }
}
