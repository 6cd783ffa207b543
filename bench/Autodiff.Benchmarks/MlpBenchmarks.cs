using System.Numerics.Tensors;
using Autodiff.Kernels;
using Autodiff.Layers;
using Autodiff.Optimizers;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// The README's MLP, 784-128-10 unless sized otherwise (the training-step suite uses the Digits widths), ReLU, softmax
/// cross-entropy: generated gradient + fused step.
/// </summary>
[Model]
public sealed partial class BenchMlp
{
    public Dense Hidden;
    public Dense Output;

    public BenchMlp(int seed)
        : this(784, 128, seed)
    {
    }

    public BenchMlp(int inputs, int hidden, int seed)
    {
        var random = new Random(seed);
        Hidden = new Dense(inputs, hidden, random);
        Output = new Dense(hidden, 10, random, xavier: true);
    }

    /// <summary>Class scores, for evaluation.</summary>
    [Differentiable]
    public Tensor Forward(Tensor x) => Output.Forward(Tensor.Relu(Hidden.Forward(x)));

    [Differentiable]
    public float Loss(Tensor x, int[] labels) => Tensor.SoftmaxCrossEntropy(Output.Forward(Tensor.Relu(Hidden.Forward(x))), labels);
}

/// <summary>
/// One training step (forward, backward, Adam) on a batch of 128 synthetic MNIST-shaped images: the generated
/// model against a hand-written reference of the same network calling the same kernels.
/// </summary>
[MemoryDiagnoser]
public class MlpBenchmarks
{
    private BenchMlp _model = null!;
    private BenchMlp.Gradient _gradient = null!;
    private Adam _adam = null!;
    private HandWrittenMlp _reference = null!;
    private Tensor _x = null!;
    private int[] _labels = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Tensor.Threads = Threads;
        var random = new Random(7);
        _x = new Tensor(128, 784);
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)random.NextDouble();
        }

        _labels = Enumerable.Range(0, 128).Select(_ => random.Next(10)).ToArray();
        _model = new BenchMlp(1);
        _gradient = _model.CreateGradient();
        _adam = new Adam(1e-3);
        _reference = new HandWrittenMlp(new BenchMlp(1), Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => Console.WriteLine($"// worker pool: {Autodiff.Kernels.WorkerPool.Jobs} jobs, {Autodiff.Kernels.WorkerPool.WorkerParts} parts run by workers, {Autodiff.Kernels.WorkerPool.Sleeps} sleeps");

    /// <summary>The generated step's two halves, for <c>--profile-mlp</c> (with <see cref="Time"/>, mean µs over 500 calls).</summary>
    internal float LossGradientOnly() => _model.LossGradient(_x, _labels, _gradient);

    internal void StepOnly() => _model.Step(_adam, _gradient);

    internal double Time(Action<MlpBenchmarks> part)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 500; i++)
        {
            part(this);
        }

        return clock.Elapsed.TotalMicroseconds / 500;
    }

    [Benchmark(Baseline = true)]
    public float HandWritten() => _reference.Step(_x, _labels);

    [Benchmark]
    public float Generated()
    {
        float loss = _model.LossGradient(_x, _labels, _gradient);
        _model.Step(_adam, _gradient);
        return loss;
    }
}

/// <summary>The same MLP's step derived by hand: each product and activation written out, buffers allocated once.</summary>
public sealed class HandWrittenMlp
{
    private readonly Tensor _w1, _b1, _w2, _b2, _dw1, _db1, _dw2, _db2;
    private readonly float[] _z1 = new float[128 * 128], _h = new float[128 * 128], _z2 = new float[128 * 10];
    private readonly float[] _dz2 = new float[128 * 10], _dh = new float[128 * 128];
    private readonly Adam _adam = new(1e-3);
    private readonly int _threads;

    private Tensor _x = null!;
    private int[] _labels = [];
    private float _loss;

    public HandWrittenMlp(BenchMlp init, int threads)
    {
        (_w1, _b1, _w2, _b2) = (init.Hidden.Weight, init.Hidden.Bias, init.Output.Weight, init.Output.Bias);
        (_dw1, _db1, _dw2, _db2) = (Tensor.ZerosLike(_w1), Tensor.ZerosLike(_b1), Tensor.ZerosLike(_w2), Tensor.ZerosLike(_b2));
        _threads = threads;
        Parts = CreateParts();
    }

    /// <summary>The step's kernels in order, named: <see cref="Step"/> runs them, <c>--profile-parts</c> times them one by one.</summary>
    internal (string Name, Action Run)[] Parts { get; }

    public float Step(Tensor x, int[] labels)
    {
        (_x, _labels) = (x, labels);
        foreach ((_, Action run) in Parts)
        {
            run();
        }

        return _loss;
    }

    // Created once (no allocation per step); the batch is read from _x and _labels.
    private (string Name, Action Run)[] CreateParts()
    {
        const int B = 128, I = 784, H = 128, C = 10;
        return new (string, Action)[]
        {
            // z1 = x·W1
            ("gemm x*W1", () => Gemm.Multiply(_x.Span, I, false, _w1.Span, H, false, _z1, H, B, H, I, false, _threads)),
            // z1 += b1; h = relu(z1)
            ("bias+relu", () =>
            {
                AddRows(_z1, _b1.Span);
                TensorPrimitives.Max(_z1, 0f, _h);
            }),
            // z2 = h·W2 + b2
            ("gemm h*W2+b", () =>
            {
                Gemm.Multiply(_h, H, false, _w2.Span, C, false, _z2, C, B, C, H, false, _threads);
                AddRows(_z2, _b2.Span);
            }),
            // loss; dz2 = (softmax - onehot) / B
            ("CE fwd+bwd", () =>
            {
                _loss = Ops.Softmax.CrossEntropyForward(_z2, C, _labels);
                Array.Clear(_dz2);
                Ops.Softmax.CrossEntropyBackward(_z2, C, _labels, 1f, _dz2);
            }),
            // dW2 = hᵀ·dz2, db2 = Σ rows dz2, dh = dz2·W2ᵀ
            ("dW2,db2,dh", () =>
            {
                Gemm.Multiply(_h, H, true, _dz2, C, false, _dw2.Span, C, H, C, B, false, _threads);
                ColumnSums(_dz2, C, _db2.Span);
                Gemm.Multiply(_dz2, C, false, _w2.Span, C, true, _dh, H, B, H, C, false, _threads);
            }),
            // dh masked by z1 > 0
            ("relu mask", () => Ops.Relu.Backward(_z1, _dh, _dh, accumulate: false)),
            // dW1 = xᵀ·dz1, db1 = Σ rows dz1
            ("gemm xT*dh", () =>
            {
                Gemm.Multiply(_x.Span, I, true, _dh, H, false, _dw1.Span, H, I, H, B, false, _threads);
                ColumnSums(_dh, H, _db1.Span);
            }),
            ("adam W1", () => _adam.Step<float>(_w1.Span, _dw1.Span, 0)),
            ("adam rest", () =>
            {
                _adam.Step<float>(_b1.Span, _db1.Span, 1);
                _adam.Step<float>(_w2.Span, _dw2.Span, 2);
                _adam.Step<float>(_b2.Span, _db2.Span, 3);
            }),
        };
    }

    private static void AddRows(Span<float> m, ReadOnlySpan<float> row)
    {
        for (int r = 0; r < m.Length; r += row.Length)
        {
            Span<float> target = m.Slice(r, row.Length);
            TensorPrimitives.Add(target, row, target);
        }
    }

    private static void ColumnSums(ReadOnlySpan<float> m, int columns, Span<float> sums)
    {
        sums.Clear();
        for (int r = 0; r < m.Length; r += columns)
        {
            TensorPrimitives.Add(sums, m.Slice(r, columns), sums);
        }
    }
}
