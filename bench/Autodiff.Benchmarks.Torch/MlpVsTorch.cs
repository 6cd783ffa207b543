using BenchmarkDotNet.Attributes;
using Autodiff.Optimizers;
using Autodiff.Benchmarks;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchComparison;

/// <summary>
/// One training step of the README's MLP (784-128-10, ReLU, softmax cross-entropy, Adam lr 1e-3, batch 128 of
/// fixed-seed synthetic MNIST-shaped data) at 1 and 2 threads: Autodiff's generated <c>LossGradient</c> and fused
/// <c>Step</c> (BenchMlp from the main suite) against TorchSharp (nn.Sequential, cross_entropy, optim.Adam).
/// Samples per second = 128 / mean time. Each side has its own setup, so <c>bench/run-torch.sh</c> runs them in
/// separate processes: libtorch's OpenMP workers spin after each parallel region and would otherwise take a core
/// from Autodiff's two-thread runs on a two-core machine.
/// </summary>
[Config(typeof(InProcessShortConfig))]
[MemoryDiagnoser]
public class MlpVsTorch
{
    private const int Batch = 128;
    private BenchMlp _model = null!;
    private BenchMlp.Gradient _gradient = null!;
    private Adam _adam = null!;
    private global::Autodiff.Tensor _x = null!;
    private int[] _labels = null!;

    private nn.Module<Tensor, Tensor> _torchModel = null!;
    private optim.Optimizer _torchAdam = null!;
    private Tensor _tx = null!;
    private Tensor _ty = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup(Target = nameof(Autodiff))]
    public void SetupAutodiff()
    {
        global::Autodiff.Tensor.Threads = Threads;
        float[] pixels = Data();
        _x = new global::Autodiff.Tensor(pixels, Batch, 784);
        _model = new BenchMlp(1);
        _gradient = _model.CreateGradient();
        _adam = new Adam(1e-3);
    }

    [GlobalSetup(Target = nameof(TorchSharp))]
    public void SetupTorch()
    {
        torch.set_num_threads(Threads);
        torch.manual_seed(1);
        float[] pixels = Data();
        _torchModel = nn.Sequential(("hidden", nn.Linear(784, 128)), ("relu", nn.ReLU()), ("output", nn.Linear(128, 10)));
        _torchAdam = optim.Adam(_torchModel.parameters(), lr: 1e-3);
        _tx = torch.tensor(pixels, new long[] { Batch, 784 });
        _ty = torch.tensor(_labels.Select(l => (long)l).ToArray());
    }

    // The same fixed-seed batch for both sides.
    private float[] Data()
    {
        var random = new Random(7);
        float[] pixels = Enumerable.Range(0, Batch * 784).Select(_ => (float)random.NextDouble()).ToArray();
        _labels = Enumerable.Range(0, Batch).Select(_ => random.Next(10)).ToArray();
        return pixels;
    }

    [Benchmark(Baseline = true)]
    public float Autodiff()
    {
        float loss = _model.LossGradient(_x, _labels, _gradient);
        _model.Step(_adam, _gradient);
        return loss;
    }

    [Benchmark]
    public float TorchSharp()
    {
        using var scope = torch.NewDisposeScope();
        _torchAdam.zero_grad();
        Tensor loss = nn.functional.cross_entropy(_torchModel.call(_tx), _ty);
        loss.backward();
        _torchAdam.step();
        return loss.item<float>();
    }
}
