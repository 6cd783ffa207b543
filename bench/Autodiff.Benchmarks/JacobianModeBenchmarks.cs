using System.Runtime.Intrinsics;
using Autodiff;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>A vector-valued method whose every result depends on every parameter, for the Jacobian's mode rule.</summary>
public static partial class WideFunctions
{
    /// <summary>m = r.Length results of n = p.Length parameters: rᵢ = Σⱼ tanh(aᵢⱼ pⱼ).</summary>
    [Differentiable]
    public static void Mix(ReadOnlySpan<double> p, [NoDerivative] double[] a, [Output] Span<double> r)
    {
        int n = p.Length;
        for (int i = 0; i < r.Length; i++)
        {
            double s = 0;
            for (int j = 0; j < n; j++)
            {
                s += Math.Tanh(a[i * n + j] * p[j]);
            }

            r[i] = s;
        }
    }

    /// <summary>The Jacobian by columns over lane vectors, whatever the shape (the generated method's forward branch).</summary>
    public static void MixJacobianByLanes(ReadOnlySpan<double> p, double[] a, Span<double> r, double[,] jacobian)
    {
        Span<double> initial = stackalloc double[r.Length];
        r.CopyTo(initial);
        if (Vector512.IsHardwareAccelerated)
        {
            __MixJacobianColumns<Autodiff.Generated.AutodiffLanes512<double>>(p, a, r, initial, jacobian);
        }
        else
        {
            __MixJacobianColumns<Autodiff.Generated.AutodiffLanes256<double>>(p, a, r, initial, jacobian);
        }
    }
}

/// <summary>
/// The Jacobian of <see cref="WideFunctions.Mix"/> (n = 16 or 32 parameters, m results) by columns over lane vectors
/// (⌈n / lanes⌉ forward sweeps) against by rows (m VJPs), and the generated <c>MixJacobian</c>, which picks one: where
/// the two cross is what the mode rule should say.
/// </summary>
[MemoryDiagnoser]
public class JacobianModeBenchmarks
{
    private double[] _p = null!, _a = null!, _r = null!, _seed = null!, _row = null!;
    private double[,] _jacobian = null!;

    [Params(16, 32)]
    public int N { get; set; }

    [Params(1, 2, 3, 4, 6, 8)]
    public int M { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _p = Enumerable.Range(0, N).Select(_ => random.NextDouble() - 0.5).ToArray();
        _a = Enumerable.Range(0, N * M).Select(_ => 2 * random.NextDouble() - 1).ToArray();
        _r = new double[M];
        _seed = new double[M];
        _row = new double[N];
        _jacobian = new double[M, N];
        var other = new double[M, N];
        WideFunctions.MixJacobianByLanes(_p, _a, _r, other);
        ByRows();
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                if (Math.Abs(other[i, j] - _jacobian[i, j]) > 1e-12 * Math.Max(1, Math.Abs(_jacobian[i, j])))
                {
                    throw new InvalidOperationException($"the two modes differ at ({i}, {j}): {other[i, j]} against {_jacobian[i, j]}");
                }
            }
        }
    }

    [Benchmark] public void Generated() => WideFunctions.MixJacobian(_p, _a, _r, _jacobian);

    [Benchmark] public void ByLanes() => WideFunctions.MixJacobianByLanes(_p, _a, _r, _jacobian);

    [Benchmark(Baseline = true)]
    public void ByRows()
    {
        for (int i = 0; i < M; i++)
        {
            _seed[i] = 1;
            WideFunctions.MixVjp(_p, _a, _r, _seed, _row);
            _seed[i] = 0;
            for (int k = 0; k < N; k++)
            {
                _jacobian[i, k] = _row[k];
            }
        }
    }
}
