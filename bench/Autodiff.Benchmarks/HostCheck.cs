using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Autodiff.Benchmarks;

/// <summary>
/// <c>--host-check</c>: whether this machine's two CPUs are two at this moment. A Vector512 FMA loop is timed
/// alone, next to a copy of itself on a second thread, and next to a thread that only spins (what an idle worker
/// of a thread pool does). On two real cores the three times are equal; when the host runs both virtual CPUs on
/// one physical CPU, the second and third are 2-4x the first.
/// </summary>
internal static class HostCheck
{
    public static void Run()
    {
        const long steps = 20_000_000;
        Fma(1000);
        for (int round = 0; round < 3; round++)
        {
            double alone = Time(() => Fma(steps));
            double other = 0;
            var second = new Thread(() => other = Time(() => Fma(steps)));
            double mine = Time(() =>
            {
                second.Start();
                Fma(steps);
            });
            second.Join();

            int stop = 0;
            var spinner = new Thread(() =>
            {
                while (Volatile.Read(ref stop) == 0)
                {
                    Thread.SpinWait(20);
                }
            });
            spinner.Start();
            Thread.Sleep(5);
            double spun = Time(() => Fma(steps));
            Volatile.Write(ref stop, 1);
            spinner.Join();
            Console.WriteLine($"FMA loop alone {alone:F1} ms; two copies at once {mine:F1} / {other:F1} ms; beside a spinning thread {spun:F1} ms");
        }

        // Reading 400 KB (an MLP weight gradient) that this thread wrote, against reading it after the other
        // thread wrote it: the lines then come from the other core's cache.
        var buffer = new float[100_352];
        for (int round = 0; round < 3; round++)
        {
            double own = 0, foreign = 0;
            for (int i = 0; i < 200; i++)
            {
                Fill(buffer, i);
                own += Time(() => Sum(buffer));
                var writer = new Thread(() => Fill(buffer, i));
                writer.Start();
                writer.Join();
                foreign += Time(() => Sum(buffer));
            }

            Console.WriteLine($"reading 400 KB written by this thread {own / 200 * 1000:F1} us, by the other thread {foreign / 200 * 1000:F1} us");
        }
    }

    private static void Fill(float[] buffer, int seed) => Array.Fill(buffer, seed);

    private static float Sum(float[] buffer) => System.Numerics.Tensors.TensorPrimitives.Sum(buffer);

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static float Fma(long steps)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return FmaNarrow(steps);
        }

        Vector512<float> a = Vector512.Create(1.0001f), b = Vector512.Create(0.9999f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (long i = 0; i < steps; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(a, c0, b);
            c1 = Vector512.FusedMultiplyAdd(a, c1, b);
            c2 = Vector512.FusedMultiplyAdd(a, c2, b);
            c3 = Vector512.FusedMultiplyAdd(a, c3, b);
            c4 = Vector512.FusedMultiplyAdd(a, c4, b);
            c5 = Vector512.FusedMultiplyAdd(a, c5, b);
            c6 = Vector512.FusedMultiplyAdd(a, c6, b);
            c7 = Vector512.FusedMultiplyAdd(a, c7, b);
        }

        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).ToScalar();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static float FmaNarrow(long steps)
    {
        Vector256<float> a = Vector256.Create(1.0001f), b = Vector256.Create(0.9999f), c0 = default, c1 = default, c2 = default, c3 = default;
        for (long i = 0; i < steps; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(a, c0, b);
            c1 = Vector256.FusedMultiplyAdd(a, c1, b);
            c2 = Vector256.FusedMultiplyAdd(a, c2, b);
            c3 = Vector256.FusedMultiplyAdd(a, c3, b);
        }

        return (c0 + c1 + c2 + c3).ToScalar();
    }
}
