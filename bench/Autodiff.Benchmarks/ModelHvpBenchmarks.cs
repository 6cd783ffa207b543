using Autodiff;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// The Hessian-vector product of a model's loss (<c>LossHvp</c>: record, tangents, backward with tangents) against its
/// gradient (<c>LossGradient</c>), on the MLP of <see cref="MlpBenchmarks"/> at two shapes, one thread: the issue's
/// HVP / gradient ratio for models. Forward over reverse costs a forward pass, a tangent pass (one product per layer
/// per tangent) and a backward pass with a second product per VJP, so about three gradients' products.
/// </summary>
[MemoryDiagnoser]
public class ModelHvpBenchmarks
{
    private BenchMlp _model = null!;
    private BenchMlp.Gradient _gradient = null!, _direction = null!, _product = null!;
    private Tensor _x = null!;
    private int[] _labels = null!;

    [Params("32x784x256", "256x784x256")]
    public string Shape { get; set; } = "32x784x256";

    [GlobalSetup]
    public void Setup()
    {
        Tensor.Threads = 1;
        int[] size = Shape.Split('x').Select(int.Parse).ToArray();
        var random = new Random(7);
        _x = new Tensor(size[0], size[1]);
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)random.NextDouble();
        }

        _labels = Enumerable.Range(0, size[0]).Select(_ => random.Next(10)).ToArray();
        _model = new BenchMlp(size[1], size[2], seed: 1);
        _gradient = _model.CreateGradient();
        _product = _model.CreateGradient();
        _direction = _model.CreateGradient();
        foreach (NamedTensor t in _direction.Tensors())
        {
            for (int i = 0; i < t.Value.Length; i++)
            {
                t.Value[i] = (float)(random.NextDouble() - 0.5);
            }
        }
    }

    [Benchmark(Baseline = true)]
    public float Gradient() => _model.LossGradient(_x, _labels, _gradient);

    [Benchmark]
    public float Hvp() => _model.LossHvp(_x, _labels, _direction, _product, _gradient);
}
