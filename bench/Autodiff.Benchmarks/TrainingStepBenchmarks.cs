using Autodiff.Data;
using Autodiff.Optimizers;
using Autodiff.Training;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// One whole training step as <see cref="Trainer{TGradient}.Fit"/> takes it: the batch gathered from shuffled rows,
/// forward and backward of <see cref="BenchMlp"/> at the given widths (generated), the divergence check, the fused
/// Adam step (weight decay 0.05, as the Digits job) and, where the shape says so, the EMA of the parameters. MNIST-shaped synthetic data (784 features) and the
/// optdigits shape of the main job (64 features).
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private StepWorkload _workload = null!;

    /// <summary>batch x inputs x hidden, "+ema" with the parameter average on.</summary>
    [Params("32x784x256", "256x784x256", "256x784x1024", "32x64x256", "256x784x256+ema")]
    public string Shape { get; set; } = "32x784x256";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new StepWorkload(Shape, Threads);

    /// <summary>Samples per step, for samples/s.</summary>
    public int Batch => _workload.Batch;

    [Benchmark]
    public void Step() => _workload.Step();
}

/// <summary>A trainer over synthetic data that takes one step per call on the next batch of a shuffled epoch.</summary>
public sealed class StepWorkload
{
    private readonly Trainer<BenchMlp.Gradient> _trainer;
    private readonly LabeledData _data;
    private readonly float[] _features;
    private readonly int[] _order;
    private int _next;

    public StepWorkload(string shape, int threads)
    {
        string[] parts = shape.Split('+')[0].Split('x');
        (Batch, Inputs, Hidden) = (int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
        bool ema = shape.EndsWith("+ema", StringComparison.Ordinal);
        Tensor.Threads = threads;
        var random = new Random(3);
        const int rows = 4096;
        var features = new double[rows * Inputs];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = random.NextDouble() * 2 - 1;
        }

        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = random.Next(10);
        }

        _data = new LabeledData(features, labels, Inputs, 10);
        _features = Trainer<BenchMlp.Gradient>.ToFloat(features);
        _order = Enumerable.Range(0, rows).OrderBy(_ => random.Next()).ToArray();
        var model = new BenchMlp(Inputs, Hidden, 1);
        _trainer = new Trainer<BenchMlp.Gradient>(
            model, model.CreateGradient(), new Adam(1e-3, weightDecay: 0.05),
            lossGradient: model.LossGradient, logits: model.Forward, step: model.Step,
            new TrainerOptions { BatchSize = Batch, EmaDecay = ema ? 0.999 : null });
    }

    public int Batch { get; }

    public int Inputs { get; }

    public int Hidden { get; }

    public void Step()
    {
        if (_next + Batch > _order.Length)
        {
            _next = 0;
        }

        _trainer.TrainStep(_features, _data, _order.AsSpan(_next, Batch));
        _next += Batch;
    }
}
