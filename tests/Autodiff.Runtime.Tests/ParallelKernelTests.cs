using Autodiff.Data;
using Autodiff.Kernels;
using Autodiff.Optimizers;
using Autodiff.Training;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// The kernels split over <see cref="Tensor.Threads"/> (elementwise ops, broadcasts, the bias gradient's column sums,
/// the divergence check, the parameter average, the batch gather): bitwise the same at 1, 2, 3 and 16 threads
/// (16 oversubscribes the CI host), on sizes that make several parts, and equal to element-by-element references.
/// </summary>
[Collection(ThreadCount.Collection)]
public sealed class ParallelKernelTests
{
    private static readonly int[] ThreadCounts = { 1, 2, 3, 16 };

    // 300 x 250 = 75,000 values: four or more parts of Ranges.ElementGrain, with ragged ends (250 is not a multiple of 16).
    private const int Rows = 300, Columns = 250;

    [Fact]
    public void Elementwise_ops_are_the_same_at_every_thread_count_and_equal_their_references()
    {
        var random = new Random(11);
        Tensor a = Random(random, Rows, Columns), b = Random(random, Rows, Columns);
        Tensor row = Random(random, 1, Columns), one = Random(random, 1);
        (string Name, Func<Tensor> Op, Func<int, float> Reference)[] cases =
        {
            ("relu", () => Tensor.Relu(a), i => Math.Max(a[i], 0f)),
            ("tanh", () => Tensor.Tanh(a), i => MathF.Tanh(a[i])),
            ("a + b", () => a + b, i => a[i] + b[i]),
            ("a - b", () => a - b, i => a[i] - b[i]),
            ("a * b", () => a * b, i => a[i] * b[i]),
            ("a / b", () => a / b, i => a[i] / b[i]),
            ("a + row", () => a + row, i => a[i] + row[i % Columns]),
            ("row - a", () => row - a, i => row[i % Columns] - a[i]),
            ("a * one", () => a * one, i => a[i] * one[0]),
            ("one / a", () => one / a, i => one[0] / a[i]),
        };
        // At two threads each op really is split (a job posted to the pool).
        WithThreads(2, () =>
        {
            foreach ((string name, Func<Tensor> op, _) in cases)
            {
                long jobs = WorkerPool.Jobs;
                op();
                Assert.True(WorkerPool.Jobs > jobs, $"{name} ran on one thread");
            }
        });
        foreach ((string name, Func<Tensor> op, Func<int, float> reference) in cases)
        {
            float[] first = AtEachThreadCount(() => op().Span.ToArray(), name);
            for (int i = 0; i < first.Length; i++)
            {
                Assert.True(Math.Abs(first[i] - reference(i)) <= 1e-6f * Math.Max(1f, Math.Abs(reference(i))), $"{name}[{i}]: {first[i]} against {reference(i)}");
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Bias_and_activation_gradients_are_the_same_at_every_thread_count(bool subtract, bool accumulate)
    {
        var random = new Random(subtract ? 3 : 4);
        Tensor x = Random(random, Rows, Columns), bias = Random(random, Columns), dy = Random(random, Rows, Columns);
        Tensor y = subtract ? x - bias : x + bias;
        float[] start = Random(random, Columns).Span.ToArray(), startX = Random(random, Rows, Columns).Span.ToArray();
        float[] Run()
        {
            Tensor db = new((float[])start.Clone(), Columns), dx = new((float[])startX.Clone(), Rows, Columns);
            if (!accumulate)
            {
                db.ClearDeferred();
                dx.ClearDeferred();
            }

            if (subtract)
            {
                TensorDerivatives.SubtractVjp(x, bias, y, dy, dx, db);
            }
            else
            {
                TensorDerivatives.AddVjp(x, bias, y, dy, dx, db);
            }

            TensorDerivatives.ReluVjp(x, Tensor.Relu(x), dy, dx);
            return db.Span.ToArray().Concat(dx.Span.ToArray()).ToArray();
        }

        float[] result = AtEachThreadCount(Run, $"subtract {subtract}, accumulate {accumulate}");
        for (int j = 0; j < Columns; j++)
        {
            // The serial order: row 0 first, each row added in turn.
            float sum = accumulate ? start[j] : 0f;
            for (int r = 0; r < Rows; r++)
            {
                sum = r == 0 && !accumulate ? (subtract ? -dy[j] : dy[j]) : subtract ? sum - dy[r * Columns + j] : sum + dy[r * Columns + j];
            }

            Assert.Equal(sum, result[j]);
        }

        for (int i = 0; i < Rows * Columns; i++)
        {
            float expected = (accumulate ? startX[i] + dy[i] : dy[i]) + (x[i] > 0f ? dy[i] : 0f);
            Assert.Equal(expected, result[Columns + i], 5);
        }
    }

    [Fact]
    public void The_divergence_check_finds_a_NaN_or_an_infinity_in_any_part()
    {
        var values = new float[200_003];
        foreach (int threads in ThreadCounts)
        {
            WithThreads(threads, () =>
            {
                Assert.True(Elementwise.AllFinite(values));
                foreach (int at in new[] { 0, 65_535, 100_000, 150_017, values.Length - 1 })
                {
                    foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                    {
                        values[at] = bad;
                        Assert.False(Elementwise.AllFinite(values), $"{bad} at {at}, {threads} threads");
                        values[at] = 0f;
                    }
                }
            });
        }

        Assert.True(Elementwise.AllFinite(ReadOnlySpan<float>.Empty));
    }

    [Fact]
    public void Ranges_cover_every_index_once_in_aligned_parts()
    {
        foreach (int length in new[] { 1, 15, 16, 17, 1000, 65_537 })
        {
            foreach (int parts in new[] { 1, 2, 3, 7, 16 })
            {
                int next = 0;
                for (int p = 0; p < parts; p++)
                {
                    (int start, int end) = Ranges.Bounds(p, parts, length, 16);
                    Assert.Equal(next, start);
                    Assert.True(end >= start);
                    Assert.True(end == length || end % 16 == 0, $"part {p} of {parts} over {length} ends at {end}");
                    next = end;
                }

                Assert.Equal(length, next);
            }
        }
    }

    [Fact]
    public void Cpu_lists_parse_ranges_and_single_cpus()
    {
        Assert.Equal(new[] { 0, 1, 2, 3, 8, 10, 11 }, Cores.CpuList("0-3,8,10-11\n"));
        Assert.Equal(new[] { 0 }, Cores.CpuList("0"));
        Assert.InRange(Tensor.PhysicalCores, 1, Environment.ProcessorCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Threads = 0);
    }

    [Fact]
    public void A_training_run_with_EMA_is_bitwise_the_same_at_every_thread_count()
    {
        // Wide enough that every kernel of the step splits: 64 x 400 inputs per batch, 512 hidden units.
        var random = new Random(5);
        const int rows = 640, features = 400;
        var data = new LabeledData(Enumerable.Range(0, rows * features).Select(_ => random.NextDouble() * 2 - 1).ToArray(), Enumerable.Range(0, rows).Select(i => i % 10).ToArray(), features, 10);
        float[] Train()
        {
            var model = new TinyMlp(features, 512, 10, seed: 2);
            var trainer = new Trainer<TinyMlp.Gradient>(
                model, model.CreateGradient(), new Adam(1e-3, weightDecay: 0.05),
                lossGradient: model.LossGradient, logits: model.Forward, step: model.Step,
                new TrainerOptions { Epochs = 2, BatchSize = 64, EmaDecay = 0.9, RestoreBest = false });
            trainer.Fit(data);
            return model.W1.Span.ToArray().Concat(model.B1.Span.ToArray()).Concat(model.W2.Span.ToArray()).Concat(model.B2.Span.ToArray()).ToArray();
        }

        AtEachThreadCount(Train, "training");
    }

    private static T[] AtEachThreadCount<T>(Func<T[]> run, string what)
    {
        T[]? first = null;
        foreach (int threads in ThreadCounts)
        {
            T[] result = Array.Empty<T>();
            WithThreads(threads, () => result = run());
            if (first is null)
            {
                first = result;
            }
            else
            {
                Assert.True(first.AsSpan().SequenceEqual(result), $"{what}: {threads} threads differ from 1");
            }
        }

        return first!;
    }

    private static void WithThreads(int threads, Action action)
    {
        int saved = Tensor.Threads;
        Tensor.Threads = threads;
        try
        {
            action();
        }
        finally
        {
            Tensor.Threads = saved;
        }
    }

    private static Tensor Random(Random random, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return t;
    }
}
