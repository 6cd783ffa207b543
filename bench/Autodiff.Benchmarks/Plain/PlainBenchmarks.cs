using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Plain;

/// <summary>
/// The ten plainly written functions of <see cref="Plain"/>: for each, the function, its generated gradient and the
/// hand-written gradient of <see cref="Hand"/>, in one class so that their ratios come from one run. The constructor
/// checks every hand-written gradient against the generated one (relative 1e-9): a benchmark of a wrong gradient
/// would mean nothing.
/// </summary>
[MemoryDiagnoser]
public class PlainBenchmarks
{
    private readonly PlainData _d = new();

    public PlainBenchmarks() => _d.Check();

    [Benchmark] public double LogSumExp() => Plain.LogSumExp(_d.X);
    [Benchmark] public double LogSumExpGenerated() => Plain.LogSumExpGradient(_d.X, _d.Dx);
    [Benchmark] public double LogSumExpHand() => Hand.LogSumExp(_d.X, _d.Dx);

    [Benchmark] public double PolynomialFit() => Plain.PolynomialFit(_d.Coefficients, _d.T, _d.Y);
    [Benchmark] public double PolynomialFitGenerated() => Plain.PolynomialFitGradient(_d.Coefficients, _d.T, _d.Y, _d.DCoefficients);
    [Benchmark] public double PolynomialFitHand() => Hand.PolynomialFit(_d.Coefficients, _d.T, _d.Y, _d.DCoefficients);

    [Benchmark] public double Mixture() => Plain.MixtureLogLikelihood(_d.Alpha, _d.Mu, _d.LogSigma, _d.Points);
    [Benchmark] public double MixtureGenerated() => Plain.MixtureLogLikelihoodGradient(_d.Alpha, _d.Mu, _d.LogSigma, _d.Points, _d.DAlpha, _d.DMu, _d.DLogSigma);
    [Benchmark] public double MixtureHand() => Hand.MixtureLogLikelihood(_d.Alpha, _d.Mu, _d.LogSigma, _d.Points, _d.DAlpha, _d.DMu, _d.DLogSigma);

    [Benchmark] public double Logistic() => Plain.Logistic(_d.W, _d.Features, _d.Labels, 0.1);
    [Benchmark] public double LogisticGenerated() => Plain.LogisticGradient(_d.W, _d.Features, _d.Labels, 0.1, _d.Dw, out _);
    [Benchmark] public double LogisticHand() => Hand.Logistic(_d.W, _d.Features, _d.Labels, 0.1, _d.Dw, out _);

    [Benchmark] public double Rk4() => Plain.Rk4Growth(0.8, 10, 0.5, PlainData.Steps, 0.01);
    [Benchmark] public double Rk4Generated() => Plain.Rk4GrowthGradient(0.8, 10, 0.5, PlainData.Steps, 0.01, out _, out _, out _);
    [Benchmark] public double Rk4Hand() => Hand.Rk4Growth(0.8, 10, 0.5, PlainData.Steps, 0.01, out _, out _, out _);

    [Benchmark] public double Springs() => Plain.Springs(_d.Positions, 2.0, 0.3);
    [Benchmark] public double SpringsGenerated() => Plain.SpringsGradient(_d.Positions, 2.0, 0.3, _d.DPositions, out _, out _);
    [Benchmark] public double SpringsHand() => Hand.Springs(_d.Positions, 2.0, 0.3, _d.DPositions, out _, out _);

    [Benchmark] public double Recurrent() => Plain.Recurrent(0.5, 0.8, 0.1, _d.Sequence);
    [Benchmark] public double RecurrentGenerated() => Plain.RecurrentGradient(0.5, 0.8, 0.1, _d.Sequence, out _, out _, out _);
    [Benchmark] public double RecurrentHand() => Hand.Recurrent(0.5, 0.8, 0.1, _d.Sequence, out _, out _, out _);

    [Benchmark] public double NearestCentre() => Plain.NearestCentre(_d.Centres, _d.Points);
    [Benchmark] public double NearestCentreGenerated() => Plain.NearestCentreGradient(_d.Centres, _d.Points, _d.DCentres);
    [Benchmark] public double NearestCentreHand() => Hand.NearestCentre(_d.Centres, _d.Points, _d.DCentres);

    [Benchmark] public double ContinuedFraction() => Plain.ContinuedFraction(0.7, _d.Terms, 0);
    [Benchmark] public double ContinuedFractionGenerated() => Plain.ContinuedFractionGradient(0.7, _d.Terms, 0, out _);
    [Benchmark] public double ContinuedFractionHand() => Hand.ContinuedFraction(0.7, _d.Terms, 0, out _);
    [Benchmark] public double ContinuedFractionHandRecursive() => Hand.ContinuedFractionRecursive(0.7, _d.Terms, 0, out _);

    [Benchmark] public double Standardised() => Plain.Standardised(_d.X, _d.Weights);
    [Benchmark] public double StandardisedGenerated() => Plain.StandardisedGradient(_d.X, _d.Weights, _d.Dx);
    [Benchmark] public double StandardisedHand() => Hand.Standardised(_d.X, _d.Weights, _d.Dx);
}

/// <summary>Fixed-seed inputs of the plain functions, their adjoint buffers, and the check of the hand-written gradients.</summary>
public sealed class PlainData
{
    public const int Steps = 1000;
    public readonly double[] X, Dx, Weights, Coefficients, DCoefficients, T, Y, Alpha, Mu, LogSigma, Points, DAlpha, DMu, DLogSigma;
    public readonly double[] W, Dw, Features, Labels, Positions, DPositions, Sequence, Centres, DCentres, Terms;

    public PlainData()
    {
        var random = new Random(7);
        double[] Uniform(int n, double low, double high) => Enumerable.Range(0, n).Select(_ => low + (high - low) * random.NextDouble()).ToArray();
        X = Uniform(1000, -3, 3);
        Dx = new double[X.Length];
        Weights = Uniform(1000, -1, 1);
        Coefficients = Uniform(8, -1, 1);
        DCoefficients = new double[8];
        T = Uniform(200, -1, 1);
        Y = T.Select(t => Math.Sin(3 * t)).ToArray();
        Alpha = Uniform(4, -0.5, 0.5);
        Mu = new[] { -2.0, -0.5, 0.7, 2.1 };
        LogSigma = Uniform(4, -0.7, 0.3);
        Points = Uniform(500, -3, 3);
        (DAlpha, DMu, DLogSigma) = (new double[4], new double[4], new double[4]);
        W = Uniform(10, -0.5, 0.5);
        Dw = new double[10];
        Features = Uniform(200 * 10, -1, 1);
        Labels = Enumerable.Range(0, 200).Select(i => i % 3 == 0 ? -1.0 : 1.0).ToArray();
        Positions = Uniform(80, 0, 4);
        DPositions = new double[80];
        Sequence = Uniform(1000, -1, 1);
        Centres = Uniform(8, -3, 3);
        DCentres = new double[8];
        Terms = Uniform(50, 0.5, 1.5);
    }

    /// <summary>Throws unless every hand-written gradient equals the generated one (relative 1e-9), value included.</summary>
    public void Check()
    {
        static void Same(string name, double hand, double generated)
        {
            if (!(Math.Abs(hand - generated) <= 1e-9 * (1 + Math.Abs(hand))))
            {
                throw new InvalidOperationException($"{name}: hand-written {hand:R}, generated {generated:R}.");
            }
        }

        void Compare(string name, Func<double[][], double> hand, Func<double[][], double> generated, params int[] lengths)
        {
            double[][] a = lengths.Select(n => new double[n]).ToArray(), b = lengths.Select(n => new double[n]).ToArray();
            Same(name + " value", hand(a), generated(b));
            for (int k = 0; k < a.Length; k++)
            {
                for (int i = 0; i < a[k].Length; i++)
                {
                    Same($"{name} adjoint {k}[{i}]", a[k][i], b[k][i]);
                }
            }
        }

        Compare("LogSumExp", o => Hand.LogSumExp(X, o[0]), o => Plain.LogSumExpGradient(X, o[0]), X.Length);
        Compare("PolynomialFit", o => Hand.PolynomialFit(Coefficients, T, Y, o[0]), o => Plain.PolynomialFitGradient(Coefficients, T, Y, o[0]), 8);
        Compare("Mixture", o => Hand.MixtureLogLikelihood(Alpha, Mu, LogSigma, Points, o[0], o[1], o[2]), o => Plain.MixtureLogLikelihoodGradient(Alpha, Mu, LogSigma, Points, o[0], o[1], o[2]), 4, 4, 4);
        Compare("Logistic", o => Hand.Logistic(W, Features, Labels, 0.1, o[0], out o[1][0]), o => Plain.LogisticGradient(W, Features, Labels, 0.1, o[0], out o[1][0]), 10, 1);
        Compare("Rk4", o => Hand.Rk4Growth(0.8, 10, 0.5, Steps, 0.01, out o[0][0], out o[0][1], out o[0][2]), o => Plain.Rk4GrowthGradient(0.8, 10, 0.5, Steps, 0.01, out o[0][0], out o[0][1], out o[0][2]), 3);
        Compare("Springs", o => Hand.Springs(Positions, 2.0, 0.3, o[0], out o[1][0], out o[1][1]), o => Plain.SpringsGradient(Positions, 2.0, 0.3, o[0], out o[1][0], out o[1][1]), 80, 2);
        Compare("Recurrent", o => Hand.Recurrent(0.5, 0.8, 0.1, Sequence, out o[0][0], out o[0][1], out o[0][2]), o => Plain.RecurrentGradient(0.5, 0.8, 0.1, Sequence, out o[0][0], out o[0][1], out o[0][2]), 3);
        Compare("NearestCentre", o => Hand.NearestCentre(Centres, Points, o[0]), o => Plain.NearestCentreGradient(Centres, Points, o[0]), 8);
        Compare("ContinuedFraction", o => Hand.ContinuedFraction(0.7, Terms, 0, out o[0][0]), o => Plain.ContinuedFractionGradient(0.7, Terms, 0, out o[0][0]), 1);
        Compare("ContinuedFractionRecursive", o => Hand.ContinuedFractionRecursive(0.7, Terms, 0, out o[0][0]), o => Plain.ContinuedFractionGradient(0.7, Terms, 0, out o[0][0]), 1);
        Compare("Standardised", o => Hand.Standardised(X, Weights, o[0]), o => Plain.StandardisedGradient(X, Weights, o[0]), X.Length);
    }
}
