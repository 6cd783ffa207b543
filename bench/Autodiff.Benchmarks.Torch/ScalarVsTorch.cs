using BenchmarkDotNet.Attributes;
using Autodiff.Benchmarks;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchComparison;

/// <summary>
/// One gradient of Rosenbrock, Σ (1 - xᵢ)² + 100 (xᵢ₊₁ - xᵢ²)², at N = 2 and N = 10 000: the generated gradient
/// (the same functions as GradientCostBenchmarks) against TorchSharp autograd on the vectorised expression (what a
/// TorchSharp user writes), with the leaf tensor and its gradient buffer reused and every temporary disposed.
/// In process: BenchmarkDotNet must not rebuild the project elsewhere, which would undo the native-library patch.
/// </summary>
[Config(typeof(InProcessShortConfig))]
[MemoryDiagnoser]
public class ScalarVsTorch
{
    private double[] _x = null!;
    private double[] _dx = null!;
    private Tensor _leaf = null!;

    [Params(2, 10_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        var random = new Random(3);
        _x = Enumerable.Range(0, N).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        _dx = new double[N];
        _leaf = torch.tensor(_x, requires_grad: true);
    }

    [Benchmark(Baseline = true)]
    public double Autodiff() => N == 2
        ? Functions.Rosenbrock2Gradient(_x[0], _x[1], out _dx[0], out _dx[1])
        : Functions.RosenbrockGradient(_x, _dx);

    [Benchmark]
    public double TorchSharp()
    {
        using var scope = torch.NewDisposeScope();
        _leaf.grad?.zero_();
        Tensor head = _leaf[..^1], tail = _leaf[1..];
        Tensor a = 1 - head;
        Tensor b = tail - head * head;
        Tensor f = (a * a + 100 * b * b).sum();
        f.backward();
        return f.item<double>();
    }

    /// <summary>Both give the same gradient (checked once, outside the timing).</summary>
    [GlobalCleanup]
    public void Check()
    {
        Autodiff();
        TorchSharp();
        double[] torchGradient = _leaf.grad!.data<double>().ToArray();
        double worst = _dx.Zip(torchGradient, (p, q) => Math.Abs(p - q) / Math.Max(1, Math.Abs(p))).Max();
        if (worst > 1e-9)
        {
            throw new InvalidOperationException($"Gradients differ by {worst:G3} (relative).");
        }
    }
}
