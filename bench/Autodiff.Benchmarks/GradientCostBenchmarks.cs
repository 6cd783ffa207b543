using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// Gradient / primal cost of generated code. The primal is the user's scalar loop; <c>RosenbrockGradient</c> is what the
/// generator writes by default (its final loop runs on vectors), <c>RosenbrockScalarGradient</c> the same function with
/// <c>Vectorize = false</c> (both scalar loops, the like-for-like ratio).
/// </summary>
[MemoryDiagnoser]
public class GradientCostBenchmarks
{
    private double[] _x = [];
    private double[] _dx = [];

    [Params(100, 10_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_x, _dx) = (RandomPoint(N), new double[N]);
        var expected = new double[N];
        Check("Piecewise", Functions.PiecewiseHand(_x, expected), expected, Functions.PiecewiseGradient(_x, _dx), _dx);
    }

    /// <summary>Throws unless a hand-derived value and gradient equal the generated ones (relative 1e-9).</summary>
    internal static void Check(string name, double hand, double[] handGradient, double generated, double[] generatedGradient)
    {
        if (Math.Abs(hand - generated) > 1e-9 * (1 + Math.Abs(hand))
            || handGradient.Zip(generatedGradient).Any(p => Math.Abs(p.First - p.Second) > 1e-9 * (1 + Math.Abs(p.First))))
        {
            throw new InvalidOperationException($"The hand-derived {name} gradient disagrees with the generated one.");
        }
    }

    /// <summary>The same fixed-seed point in [-1, 1)ᴺ for every suite.</summary>
    internal static double[] RandomPoint(int n)
    {
        var random = new Random(1);
        return Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray();
    }

    [Benchmark(Baseline = true)]
    public double RosenbrockPrimal() => Functions.Rosenbrock(_x);

    [Benchmark]
    public double RosenbrockGradient() => Functions.RosenbrockGradient(_x, _dx);

    [Benchmark]
    public double RosenbrockScalarGradient() => Functions.RosenbrockScalarGradient(_x, _dx);

    [Benchmark]
    public double RosenbrockHandGradient() => Functions.RosenbrockHand(_x, _dx);

    [Benchmark]
    public double PiecewisePrimal() => Functions.Piecewise(_x);

    [Benchmark]
    public double PiecewiseGradient() => Functions.PiecewiseGradient(_x, _dx);

    [Benchmark]
    public double PiecewiseHandGradient() => Functions.PiecewiseHand(_x, _dx);
}

/// <summary>
/// The composition of differentiable calls at N = 10 000 only (at N = 100 it measured the same ratio, 1.08-1.20 against
/// 1.11-1.25, and its two rows made room in the 15-minute run for the hand-derived gradients).
/// </summary>
[MemoryDiagnoser]
public class CompositionCostBenchmarks
{
    private readonly double[] _x = GradientCostBenchmarks.RandomPoint(10_000);
    private readonly double[] _dx = new double[10_000];

    public CompositionCostBenchmarks()
    {
        // The hand-derived gradient computes what the generated one computes.
        var expected = new double[_x.Length];
        GradientCostBenchmarks.Check("Composition", Functions.CompositionHand(_x, expected), expected, Functions.CompositionGradient(_x, _dx), _dx);
    }

    [Benchmark(Baseline = true)]
    public double CompositionPrimal() => Functions.Composition(_x);

    [Benchmark]
    public double CompositionGradient() => Functions.CompositionGradient(_x, _dx);

    [Benchmark]
    public double CompositionHandGradient() => Functions.CompositionHand(_x, _dx);
}

/// <summary>
/// Rosenbrock at N = 2, written out without a loop (<see cref="Functions.Rosenbrock2"/>), and its gradient generated and
/// derived by hand, over 1000 points per call. Its own class: the piecewise and composition rows at N = 2 said nothing
/// and took a minute and a half of the full run.
/// </summary>
[MemoryDiagnoser]
public class Rosenbrock2CostBenchmarks
{
    // 1000 points per call (OperationsPerInvoke): one straight-line evaluation takes about a nanosecond, below what
    // BenchmarkDotNet can separate from its own loop (the primal measured 0.07 ns). Each side stores what it
    // computes, the primal its value, the gradients the value and both partials, as a caller would.
    private const int Points = 1000;
    private readonly double[] _p = GradientCostBenchmarks.RandomPoint(2 * Points);
    private readonly double[] _value = new double[Points];
    private readonly double[] _d = new double[2 * Points];

    [Benchmark(Baseline = true, OperationsPerInvoke = Points)]
    public void RosenbrockPrimal()
    {
        double[] p = _p, value = _value;
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = Functions.Rosenbrock2(p[2 * i], p[2 * i + 1]);
        }
    }

    [Benchmark(OperationsPerInvoke = Points)]
    public void RosenbrockGradient()
    {
        double[] p = _p, value = _value, d = _d;
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = Functions.Rosenbrock2Gradient(p[2 * i], p[2 * i + 1], out d[2 * i], out d[2 * i + 1]);
        }
    }

    /// <summary>The same straight line derived by hand.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public void RosenbrockHandGradient()
    {
        double[] p = _p, value = _value, d = _d;
        for (int i = 0; i < value.Length; i++)
        {
            double x = p[2 * i], y = p[2 * i + 1];
            double a = 1 - x, b = y - x * x;
            value[i] = a * a + 100 * b * b;
            d[2 * i] = -2 * a - 400 * b * x;
            d[2 * i + 1] = 200 * b;
        }
    }
}

/// <summary>The 1000-step recurrence (its size does not depend on N, so it is not run once per N).</summary>
[MemoryDiagnoser]
public class RecurrenceCostBenchmarks
{
    private readonly double[] _xs = Enumerable.Range(0, 1000).Select(i => Math.Sin(i * 0.37)).ToArray();

    [Benchmark(Baseline = true)]
    public double RecurrencePrimal() => Functions.Recurrence(0.7, 0.3, _xs);

    private readonly double[] _h = new double[1000];

    public RecurrenceCostBenchmarks()
    {
        double hand = Functions.RecurrenceHand(0.7, 0.3, _xs, _h, out double dw, out double du);
        double generated = Functions.RecurrenceGradient(0.7, 0.3, _xs, out double gw, out double gu);
        GradientCostBenchmarks.Check("Recurrence", hand, [dw, du], generated, [gw, gu]);
    }

    [Benchmark]
    public double RecurrenceGradient() => Functions.RecurrenceGradient(0.7, 0.3, _xs, out _, out _);

    /// <summary>Derived by hand: the forward pass keeps every hₜ in a buffer allocated once, the reverse pass runs back over it.</summary>
    [Benchmark]
    public double RecurrenceHandGradient() => Functions.RecurrenceHand(0.7, 0.3, _xs, _h, out _, out _);
}

/// <summary>
/// The vectorised pair: Rosenbrock's primal and hand-derived gradient, both on <c>Vector512</c> (N = 2 would run scalar
/// code), and the generator's default gradient of the scalar Rosenbrock (its loop on <c>Vector512</c> lanes).
/// </summary>
[MemoryDiagnoser]
public class VectorisedPairBenchmarks
{
    private double[] _x = [];
    private double[] _dx = [];

    [Params(100, 10_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_x, _dx) = (GradientCostBenchmarks.RandomPoint(N), new double[N]);

        // The vectorised pair computes what the scalar code computes (to rounding: the sums run in another order).
        var expected = new double[N];
        double value = Functions.RosenbrockHand(_x, expected);
        double simd = Functions.RosenbrockSimdGradient(_x, _dx);
        if (Math.Abs(simd - value) > 1e-9 * Math.Abs(value) || Math.Abs(Functions.RosenbrockSimd(_x) - value) > 1e-9 * Math.Abs(value)
            || expected.Zip(_dx).Any(p => Math.Abs(p.First - p.Second) > 1e-9 * (1 + Math.Abs(p.First))))
        {
            throw new InvalidOperationException("The vectorised Rosenbrock pair disagrees with the scalar one.");
        }

        double generated = Functions.RosenbrockGradient(_x, _dx);
        if (Math.Abs(generated - value) > 1e-9 * Math.Abs(value) || expected.Zip(_dx).Any(p => Math.Abs(p.First - p.Second) > 1e-9 * (1 + Math.Abs(p.First))))
        {
            throw new InvalidOperationException("The generator's vector loop disagrees with the scalar gradient.");
        }
    }

    [Benchmark(Baseline = true)]
    public double RosenbrockSimdPrimal() => Functions.RosenbrockSimd(_x);

    [Benchmark]
    public double RosenbrockSimdHandGradient() => Functions.RosenbrockSimdGradient(_x, _dx);

    [Benchmark]
    public double RosenbrockGeneratedGradient() => Functions.RosenbrockGradient(_x, _dx);
}
