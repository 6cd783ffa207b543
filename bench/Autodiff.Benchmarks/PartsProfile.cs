using System.Diagnostics;
using System.Numerics.Tensors;
using Autodiff.Kernels;
using Autodiff.Optimizers;

namespace Autodiff.Benchmarks;

/// <summary><c>--profile-parts</c>: the hand-written MLP step cut into its kernels, each timed on its own (not a measurement for the tables).</summary>
internal static class PartsProfile
{
    public static void Run(int threads)
    {
        Tensor.Threads = threads;
        const int B = 128, I = 784, H = 128, C = 10;
        var random = new Random(7);
        var x = new float[B * I];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        int[] labels = Enumerable.Range(0, B).Select(_ => random.Next(10)).ToArray();
        var m = new BenchMlp(1);
        float[] w1 = m.Hidden.Weight.Span.ToArray(), b1 = m.Hidden.Bias.Span.ToArray(), w2 = m.Output.Weight.Span.ToArray(), b2 = m.Output.Bias.Span.ToArray();
        float[] z1 = new float[B * H], h = new float[B * H], z2 = new float[B * C], dz2 = new float[B * C], dh = new float[B * H];
        float[] dw1 = new float[w1.Length], db1 = new float[H], dw2 = new float[w2.Length], db2 = new float[C];
        var adam = new Adam(1e-3);
        var parts = new (string Name, Action Body)[]
        {
            ("gemm x*W1", () => Gemm.Multiply(x, I, false, w1, H, false, z1, H, B, H, I, false, threads)),
            ("bias+relu", () => { for (int r = 0; r < B; r++) { var row = z1.AsSpan(r * H, H); TensorPrimitives.Add(row, b1, row); } TensorPrimitives.Max(z1, 0f, h); }),
            ("gemm h*W2+b", () => { Gemm.Multiply(h, H, false, w2, C, false, z2, C, B, C, H, false, threads); for (int r = 0; r < B; r++) { var row = z2.AsSpan(r * C, C); TensorPrimitives.Add(row, b2, row); } }),
            ("CE fwd+bwd", () => { Ops.Softmax.CrossEntropyForward(z2, C, labels); Array.Clear(dz2); Ops.Softmax.CrossEntropyBackward(z2, C, labels, 1f, dz2); }),
            ("dW2,db2,dh", () => { Gemm.Multiply(h, H, true, dz2, C, false, dw2, C, H, C, B, false, threads); Gemm.Multiply(dz2, C, false, w2, C, true, dh, H, B, H, C, false, threads); }),
            ("relu mask", () => Ops.Relu.Backward(z1, dh, dh, accumulate: false)),
            ("gemm xT*dh", () => Gemm.Multiply(x, I, true, dh, H, false, dw1, H, I, H, B, false, threads)),
            ("adam W1", () => adam.Step<float>(w1, dw1, 0)),
            ("adam rest", () => { adam.Step<float>(b1, db1, 1); adam.Step<float>(w2, dw2, 2); adam.Step<float>(b2, db2, 3); }),
        };
        var totals = new double[parts.Length];
        var mins = Enumerable.Repeat(1e9, parts.Length).ToArray();
        long jobs0 = WorkerPool.Jobs, sleeps0 = WorkerPool.Sleeps, wp0 = WorkerPool.WorkerParts;
        for (int round = 0; round < 600; round++)
        {
            for (int p = 0; p < parts.Length; p++)
            {
                long t0 = Stopwatch.GetTimestamp();
                parts[p].Body();
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
