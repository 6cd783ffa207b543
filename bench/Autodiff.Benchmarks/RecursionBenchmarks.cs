using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// Recursion over a differentiable array: a Horner scheme written recursively, p(x) = c₀ + x (c₁ + x (c₂ + ...)),
/// one level per coefficient. Its gradient with respect to the coefficients and x, generated, against the function
/// and against a hand-written gradient (one loop forwards for the powers, the adjoints in closed form).
/// </summary>
[MemoryDiagnoser]
public class RecursionBenchmarks
{
    private double[] _c = null!, _dc = null!;

    [Params(50, 200)]
    public int Degree { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new System.Random(3);
        _c = new double[Degree];
        for (int i = 0; i < _c.Length; i++)
        {
            _c[i] = random.NextDouble() - 0.5;
        }

        _dc = new double[Degree];
        Functions.HornerGradient(_c, 0.9, 0, _dc, out double dx);
        double hand = HandGradient(_c, 0.9, new double[Degree], out double handDx);
        if (System.Math.Abs(hand - Functions.Horner(_c, 0.9, 0)) > 1e-12 || System.Math.Abs(dx - handDx) > 1e-9)
        {
            throw new System.InvalidOperationException("the hand-written Horner gradient disagrees with the generated one");
        }
    }

    [Benchmark(Baseline = true)] public double Function() => Functions.Horner(_c, 0.9, 0);

    [Benchmark] public double GeneratedGradient() => Functions.HornerGradient(_c, 0.9, 0, _dc, out _);

    [Benchmark] public double HandWrittenGradient() => HandGradient(_c, 0.9, _dc, out _);

    // ∂p/∂cᵢ = xⁱ, ∂p/∂x = Σ i cᵢ xⁱ⁻¹.
    private static double HandGradient(double[] c, double x, double[] dc, out double dx)
    {
        double value = 0, power = 1, derivative = 0;
        for (int i = 0; i < c.Length; i++)
        {
            dc[i] = power;
            value += c[i] * power;
            if (i + 1 < c.Length)
            {
                derivative += (i + 1) * c[i + 1] * power;
            }

            power *= x;
        }

        dx = derivative;
        return value;
    }
}

/// <summary>
/// Recursion inside a loop: the determinant by cofactor expansion (n calls of the (n - 1) x (n - 1) determinant per
/// level, each on a minor made in the loop). Its generated gradient against the function; the adjugate (the gradient
/// of a determinant is its cofactor matrix) checks it.
/// </summary>
[MemoryDiagnoser]
public class DeterminantBenchmarks
{
    private double[] _a = null!, _da = null!;

    [Params(5, 7)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new System.Random(4);
        _a = new double[N * N];
        for (int i = 0; i < _a.Length; i++)
        {
            _a[i] = random.NextDouble() - 0.5;
        }

        _da = new double[N * N];
        Functions.DeterminantGradient(_a, N, _da);
        // ∂det/∂a[i, j] = the (i, j) cofactor: check one entry by a finite difference.
        const double h = 1e-6;
        double[] plus = (double[])_a.Clone(), minus = (double[])_a.Clone();
        plus[N + 1] += h;
        minus[N + 1] -= h;
        double fd = (Functions.Determinant(plus, N) - Functions.Determinant(minus, N)) / (2 * h);
        if (System.Math.Abs(fd - _da[N + 1]) > 1e-6)
        {
            throw new System.InvalidOperationException("the determinant's gradient disagrees with a finite difference");
        }
    }

    [Benchmark(Baseline = true)] public double Function() => Functions.Determinant(_a, N);

    [Benchmark] public double GeneratedGradient() => Functions.DeterminantGradient(_a, N, _da);
}
