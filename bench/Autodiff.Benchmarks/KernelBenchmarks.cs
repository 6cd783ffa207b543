using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Autodiff.Kernels;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// Matrix-product kernels for the MLP's shapes against this machine's FMA peak, measured by the same suite.
/// GFLOP/s = 2·m·n·k / time; peak = <see cref="FmaPeakBenchmarks.FmaPeak"/>'s flops / time (see bench/README.md).
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    /// <summary>
    /// Iterations of <see cref="FmaPeakBenchmarks.FmaPeak"/>: 16 independent accumulators × 4096 FMAs with AVX-512 (2,097,152
    /// flops a call), 12 × 4096 with AVX2 (786,432 flops: AVX2 has 16 vector registers, so 16 accumulators and the two
    /// operands spilled, and the loop measured half the peak on Zen 3).
    /// </summary>
    public const int PeakIterations = 4096;

    private float[] _x = null!, _w = null!, _y = null!, _dy = null!, _dw = null!, _dx = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Make(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _x = Make(128 * 784);
        _w = Make(784 * 128);
        _y = Make(128 * 128);
        _dy = Make(128 * 128);
        _dw = Make(784 * 128);
        _dx = Make(128 * 784);
    }


    /// <summary>Forward: X (128×784) · W1 (784×128).</summary>
    [Benchmark]
    public void Forward_128x784x128() => Gemm.Multiply(_x, 784, false, _w, 128, false, _y, 128, 128, 128, 784, false, Threads);

    /// <summary>Backward weight gradient: Xᵀ (784×128) · dY (128×128).</summary>
    [Benchmark]
    public void WeightGradient_784x128x128() => Gemm.Multiply(_x, 784, true, _dy, 128, false, _dw, 128, 784, 128, 128, false, Threads);

    /// <summary>Backward input gradient: dY (128×128) · W1ᵀ (128×784).</summary>
    [Benchmark]
    public void InputGradient_128x128x784() => Gemm.Multiply(_dy, 128, false, _w, 128, true, _dx, 784, 128, 784, 128, false, Threads);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float Peak512()
    {
        Vector512<float> a = Vector512.Create(1.0000001f), b = Vector512.Create(0.9999999f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        for (int i = 0; i < PeakIterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(a, c0, b); c1 = Vector512.FusedMultiplyAdd(a, c1, b);
            c2 = Vector512.FusedMultiplyAdd(a, c2, b); c3 = Vector512.FusedMultiplyAdd(a, c3, b);
            c4 = Vector512.FusedMultiplyAdd(a, c4, b); c5 = Vector512.FusedMultiplyAdd(a, c5, b);
            c6 = Vector512.FusedMultiplyAdd(a, c6, b); c7 = Vector512.FusedMultiplyAdd(a, c7, b);
            c8 = Vector512.FusedMultiplyAdd(a, c8, b); c9 = Vector512.FusedMultiplyAdd(a, c9, b);
            c10 = Vector512.FusedMultiplyAdd(a, c10, b); c11 = Vector512.FusedMultiplyAdd(a, c11, b);
            c12 = Vector512.FusedMultiplyAdd(a, c12, b); c13 = Vector512.FusedMultiplyAdd(a, c13, b);
            c14 = Vector512.FusedMultiplyAdd(a, c14, b); c15 = Vector512.FusedMultiplyAdd(a, c15, b);
        }

        Vector512<float> sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float Peak256()
    {
        Vector256<float> a = Vector256.Create(1.0000001f), b = Vector256.Create(0.9999999f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < PeakIterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(a, c0, b); c1 = Vector256.FusedMultiplyAdd(a, c1, b);
            c2 = Vector256.FusedMultiplyAdd(a, c2, b); c3 = Vector256.FusedMultiplyAdd(a, c3, b);
            c4 = Vector256.FusedMultiplyAdd(a, c4, b); c5 = Vector256.FusedMultiplyAdd(a, c5, b);
            c6 = Vector256.FusedMultiplyAdd(a, c6, b); c7 = Vector256.FusedMultiplyAdd(a, c7, b);
            c8 = Vector256.FusedMultiplyAdd(a, c8, b); c9 = Vector256.FusedMultiplyAdd(a, c9, b);
            c10 = Vector256.FusedMultiplyAdd(a, c10, b); c11 = Vector256.FusedMultiplyAdd(a, c11, b);
        }

        Vector256<float> sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return Vector256.Sum(sum);
    }
}

/// <summary>The machine's FMA peak for the GEMM's percentages: one thread, so not run once per thread count.</summary>
public class FmaPeakBenchmarks
{
    /// <summary>Peak: 16 independent Vector512 FMAs per iteration, or 12 of Vector256 without AVX-512; one thread.</summary>
    [Benchmark]
    public float FmaPeak() => Vector512.IsHardwareAccelerated ? KernelBenchmarks.Peak512() : KernelBenchmarks.Peak256();
}
