using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// Nested differentiation: the gradient of the loss after 200 gradient-descent steps on Rosenbrock with respect to the
/// log step size (<see cref="Functions.AfterSteps"/>, each step calling the generated gradient), against the loss alone
/// and against a hand-written forward-mode derivative that carries d(x, y)/dη through the steps with the analytic
/// Hessian. The constructor checks that the two derivatives agree.
/// </summary>
[MemoryDiagnoser]
public class NestedBenchmarks
{
    private const int Steps = 200;
    private const double LogRate = -6.0;

    public NestedBenchmarks()
    {
        double value = Functions.AfterStepsGradient(LogRate, Steps, out double generated);
        double hand = AfterStepsHand(LogRate, Steps, out double expected);
        GradientCostBenchmarks.Check("AfterSteps", hand, new[] { expected }, value, new[] { generated });
    }

    /// <summary>The loss after the steps and its derivative in the log step size, forward mode by hand.</summary>
    public static double AfterStepsHand(double logRate, int steps, out double derivative)
    {
        double x = -1.2, y = 1.0, rate = Math.Exp(logRate);
        double dx = 0, dy = 0; // d(x, y) / d logRate
        for (int k = 0; k < steps; k++)
        {
            double b = y - x * x;
            double gx = -2 * (1 - x) - 400 * x * b, gy = 200 * b;
            double hxx = 2 - 400 * b + 800 * x * x, hxy = -400 * x, hyy = 200;
            double ndx = dx - rate * gx - rate * (hxx * dx + hxy * dy);
            double ndy = dy - rate * gy - rate * (hxy * dx + hyy * dy);
            x -= rate * gx;
            y -= rate * gy;
            (dx, dy) = (ndx, ndy);
        }

        double bf = y - x * x;
        derivative = (-2 * (1 - x) - 400 * x * bf) * dx + 200 * bf * dy;
        return (1 - x) * (1 - x) + 100 * bf * bf;
    }

    [Benchmark(Baseline = true)] public double Loss() => Functions.AfterSteps(LogRate, Steps);

    [Benchmark] public double GeneratedGradient() => Functions.AfterStepsGradient(LogRate, Steps, out _);

    [Benchmark] public double HandWrittenDerivative() => AfterStepsHand(LogRate, Steps, out _);
}
