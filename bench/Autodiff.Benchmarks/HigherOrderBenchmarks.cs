using Autodiff.Benchmarks.Plain;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// Jacobians by either mode, and Hessian-vector products (<c>[Differentiable(SecondOrder = true)]</c>, reverse over forward mode) against the
/// generated gradient of the same function, in one run: Rosenbrock at N = 10 000 (with a hand-written HVP beside it)
/// and the ten plainly written functions of <see cref="Plain.Plain"/>. The constructor checks the hand-written HVP.
/// </summary>
[MemoryDiagnoser]
public class HigherOrderBenchmarks
{
    private const int N = 10_000;
    private readonly double[] _x = GradientCostBenchmarks.RandomPoint(N);
    private readonly double[] _v;
    private readonly double[] _out = new double[N];
    private readonly PlainData _d = new();
    private readonly Tangents _t;
    private readonly double[] _p = { 2.0, 0.7, 0.1 };
    private readonly double[] _r = new double[Functions.DecayTimes.Length];
    private readonly double[] _seed = new double[Functions.DecayTimes.Length];
    private readonly double[] _row = new double[3];
    private readonly double[,] _jacobian = new double[Functions.DecayTimes.Length, 3];

    public HigherOrderBenchmarks()
    {
        var random = new Random(3);
        _v = Enumerable.Range(0, N).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        _t = new Tangents(_d);
        var expected = new double[N];
        double dot = RosenbrockHvpHand(_x, _v, expected);
        GradientCostBenchmarks.Check("Rosenbrock HVP", dot, expected, Functions.RosenbrockHvp(_x, _v, _out), _out);
    }

    /// <summary>Hand-derived H·v of Rosenbrock, and ∇f·v (what the generated HVP returns).</summary>
    public static double RosenbrockHvpHand(double[] x, double[] v, Span<double> hv)
    {
        hv.Clear();
        double dot = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            double ta = -v[i];
            double tb = v[i + 1] - 2 * x[i] * v[i];
            dot += 2 * a * ta + 200 * b * tb;

            // ∇ of (2 a ta + 200 b tb) with respect to x, v held fixed.
            double gb = 200 * tb;
            double gtb = 200 * b;
            hv[i] += -2 * ta - 2 * x[i] * gb - 2 * v[i] * gtb;
            hv[i + 1] += gb;
        }

        return dot;
    }

    /// <summary>A 100 x 3 Jacobian by the mode the shape picks (three JVPs, one per column).</summary>
    [Benchmark] public void ResidualJacobian() => Functions.DecayResidualsJacobian(_p, Functions.DecayTimes, Functions.DecayObserved, _r, _jacobian);

    /// <summary>The same Jacobian by the other mode: a hundred VJPs, one per row.</summary>
    [Benchmark]
    public void ResidualJacobianByRows()
    {
        for (int i = 0; i < _r.Length; i++)
        {
            _seed[i] = 1;
            Functions.DecayResidualsVjp(_p, Functions.DecayTimes, Functions.DecayObserved, _r, _seed, _row);
            _seed[i] = 0;
            for (int k = 0; k < _row.Length; k++)
            {
                _jacobian[i, k] = _row[k];
            }
        }
    }

    [Benchmark] public double RosenbrockGradient() => Functions.RosenbrockGradient(_x, _out);
    [Benchmark] public double RosenbrockHvp() => Functions.RosenbrockHvp(_x, _v, _out);
    [Benchmark] public double RosenbrockScalarHvp() => Functions.RosenbrockScalarHvp(_x, _v, _out);
    [Benchmark] public double RosenbrockHvpHand() => RosenbrockHvpHand(_x, _v, _out);

    [Benchmark] public double LogSumExpGradient() => Plain.Plain.LogSumExpGradient(_d.X, _d.Dx);
    [Benchmark] public double LogSumExpHvp() => Plain.Plain.LogSumExpHvp(_d.X, _t.X, _d.Dx);

    [Benchmark] public double PolynomialFitGradient() => Plain.Plain.PolynomialFitGradient(_d.Coefficients, _d.T, _d.Y, _d.DCoefficients);
    [Benchmark] public double PolynomialFitHvp() => Plain.Plain.PolynomialFitHvp(_d.Coefficients, _d.T, _d.Y, _t.Coefficients, _d.DCoefficients);

    [Benchmark] public double MixtureGradient() => Plain.Plain.MixtureLogLikelihoodGradient(_d.Alpha, _d.Mu, _d.LogSigma, _d.Points, _d.DAlpha, _d.DMu, _d.DLogSigma);
    [Benchmark] public double MixtureHvp() => Plain.Plain.MixtureLogLikelihoodHvp(_d.Alpha, _d.Mu, _d.LogSigma, _d.Points, _t.Alpha, _t.Mu, _t.LogSigma, _d.DAlpha, _d.DMu, _d.DLogSigma);

    [Benchmark] public double LogisticGradient() => Plain.Plain.LogisticGradient(_d.W, _d.Features, _d.Labels, 0.1, _d.Dw, out _);
    [Benchmark] public double LogisticHvp() => Plain.Plain.LogisticHvp(_d.W, _d.Features, _d.Labels, 0.1, _t.W, 0.3, _d.Dw, out _);

    [Benchmark] public double Rk4Gradient() => Plain.Plain.Rk4GrowthGradient(0.8, 10, 0.5, PlainData.Steps, 0.01, out _, out _, out _);
    [Benchmark] public double Rk4Hvp() => Plain.Plain.Rk4GrowthHvp(0.8, 10, 0.5, PlainData.Steps, 0.01, 0.3, -0.2, 0.5, out _, out _, out _);

    [Benchmark] public double SpringsGradient() => Plain.Plain.SpringsGradient(_d.Positions, 2.0, 0.3, _d.DPositions, out _, out _);
    [Benchmark] public double SpringsHvp() => Plain.Plain.SpringsHvp(_d.Positions, 2.0, 0.3, _t.Positions, 0.3, -0.2, _d.DPositions, out _, out _);

    [Benchmark] public double RecurrentGradient() => Plain.Plain.RecurrentGradient(0.5, 0.8, 0.1, _d.Sequence, out _, out _, out _);
    [Benchmark] public double RecurrentHvp() => Plain.Plain.RecurrentHvp(0.5, 0.8, 0.1, _d.Sequence, 0.3, -0.2, 0.5, out _, out _, out _);

    [Benchmark] public double NearestCentreGradient() => Plain.Plain.NearestCentreGradient(_d.Centres, _d.Points, _d.DCentres);
    [Benchmark] public double NearestCentreHvp() => Plain.Plain.NearestCentreHvp(_d.Centres, _d.Points, _t.Centres, _d.DCentres);

    [Benchmark] public double ContinuedFractionGradient() => Plain.Plain.ContinuedFractionGradient(0.7, _d.Terms, 0, out _);
    [Benchmark] public double ContinuedFractionHvp() => Plain.Plain.ContinuedFractionHvp(0.7, _d.Terms, 0, 0.3, out _);

    [Benchmark] public double StandardisedGradient() => Plain.Plain.StandardisedGradient(_d.X, _d.Weights, _d.Dx);
    [Benchmark] public double StandardisedHvp() => Plain.Plain.StandardisedHvp(_d.X, _d.Weights, _t.X, _d.Dx);

    /// <summary>Fixed-seed directions for the plain functions' array parameters.</summary>
    private sealed class Tangents
    {
        public readonly double[] X, Coefficients, Alpha, Mu, LogSigma, W, Positions, Centres;

        public Tangents(PlainData d)
        {
            var random = new Random(5);
            double[] Like(double[] a) => a.Select(_ => random.NextDouble() * 2 - 1).ToArray();
            (X, Coefficients, Alpha, Mu, LogSigma) = (Like(d.X), Like(d.Coefficients), Like(d.Alpha), Like(d.Mu), Like(d.LogSigma));
            (W, Positions, Centres) = (Like(d.W), Like(d.Positions), Like(d.Centres));
        }
    }
}
