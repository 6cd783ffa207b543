using Autodiff.Optimizers;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// Optimizer steps as memory traffic: one step over 4M floats (16 MB per vector, far beyond the caches) against a
/// plain copy of the same vector, the machine's copy bandwidth. Bytes moved per element: copy 8 (read 4, write 4);
/// SGD 12 (read θ and g, write θ); momentum 20 (read θ g v, write θ v); Adam 28 (read θ g m v, write θ m v).
/// GB/s = bytes per element × 4M / mean time (bench/README.md has the table).
/// </summary>
[MemoryDiagnoser]
public class OptimizerBandwidthBenchmarks
{
    private const int Length = 4 << 20;
    private float[] _parameters = null!, _gradient = null!, _copy = null!;
    private Optimizer _sgd = null!, _momentum = null!, _adam = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _parameters = Enumerable.Range(0, Length).Select(_ => (float)random.NextDouble()).ToArray();
        _gradient = Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() - 0.5) * 1e-3f).ToArray();
        _copy = new float[Length];
        _sgd = new Sgd(1e-6);
        _momentum = new Sgd(1e-6, momentum: 0.9);
        _adam = new Adam(1e-6);
    }

    [Benchmark(Baseline = true)]
    public void Copy() => _parameters.AsSpan().CopyTo(_copy);

    [Benchmark]
    public void SgdStep() => _sgd.Step<float>(_parameters, _gradient);

    [Benchmark]
    public void MomentumStep() => _momentum.Step<float>(_parameters, _gradient);

    [Benchmark]
    public void AdamStep() => _adam.Step<float>(_parameters, _gradient);
}
