using System.Globalization;

namespace SecondOrder;

/// <summary>The three comparisons of the example, each a set of traces from one start.</summary>
public static class Experiments
{
    public const double Tolerance = 1e-10;

    /// <summary>Rosenbrock from (-1.2, 1): Newton with the generated Hessian, gradient descent and Adam.</summary>
    public static List<Trace> Rosenbrock(int budget)
    {
        var f = new Objective("Rosenbrock", 2,
            x => Problems.Rosenbrock(x[0], x[1]),
            (x, g) => Problems.RosenbrockGradient(x[0], x[1], out g[0], out g[1]),
            (x, h) => Problems.RosenbrockHessian(x[0], x[1], h));
        double[] start = { -1.2, 1 };
        return new List<Trace>
        {
            Solvers.Newton(f, start, 0, 100, Tolerance),
            Solvers.GradientDescent(f, start, 0, budget, Tolerance),
            Solvers.Adam(f, start, 0, budget, Tolerance, 0.02),
        };
    }

    /// <summary>L2-regularised logistic regression on a fixed synthetic set (500 points, 10 features).</summary>
    public static List<Trace> Logistic(int budget)
    {
        (double[] features, double[] labels) = LogisticData(500, 10, seed: 11);
        const double lambda = 1e-3;
        var f = new Objective("logistic regression", 10,
            w => Problems.Logistic(w, features, labels, lambda),
            (w, g) => Problems.LogisticGradient(w, features, labels, lambda, g),
            (w, h) => Problems.LogisticHessian(w, features, labels, lambda, h));
        var start = new double[10];

        // The minimum, from Newton run until the gap stops moving.
        Trace reference = Solvers.Newton(f, start, 0, 60, double.NegativeInfinity);
        double minimum = reference.Gaps.Min();
        return new List<Trace>
        {
            Solvers.Newton(f, start, minimum, 100, Tolerance),
            Solvers.GradientDescent(f, start, minimum, budget, Tolerance),
            Solvers.Adam(f, start, minimum, budget, Tolerance, 0.05),
        };
    }

    /// <summary>A three-parameter exponential fit to 100 points: Levenberg-Marquardt against gradient descent and Adam.</summary>
    public static (List<Trace> Traces, double[] Parameters) CurveFit(int budget)
    {
        var fit = new CurveFit(100, seed: 5);
        fit.LevenbergMarquardt(0, 200, double.NegativeInfinity);
        double minimum = fit.Cost(fit.Final);
        Trace lm = fit.LevenbergMarquardt(minimum, 200, Tolerance);
        Objective f = fit.AsObjective();
        return (new List<Trace>
        {
            lm,
            Solvers.GradientDescent(f, fit.Start, minimum, budget, Tolerance),
            Solvers.Adam(f, fit.Start, minimum, budget, Tolerance, 0.01),
        }, fit.Final);
    }

    /// <summary>Gaussian features and labels from a fixed linear rule with 10% of them flipped.</summary>
    public static (double[] Features, double[] Labels) LogisticData(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        double[] truth = Enumerable.Range(0, dimension).Select(_ => Gaussian()).ToArray();
        var features = new double[count * dimension];
        var labels = new double[count];
        for (int i = 0; i < count; i++)
        {
            double z = 0;
            for (int j = 0; j < dimension; j++)
            {
                features[i * dimension + j] = Gaussian();
                z += truth[j] * features[i * dimension + j];
            }

            labels[i] = (z > 0) == (random.NextDouble() > 0.1) ? 1 : -1;
        }

        return (features, labels);
    }

    /// <summary>One table row per trace: iterations and milliseconds to the tolerance, and the last gap.</summary>
    public static void Print(string title, IEnumerable<Trace> traces, TextWriter output)
    {
        output.WriteLine(title);
        output.WriteLine($"  {"method",-34} {"iterations to 1e-10",20} {"ms to 1e-10",12} {"final f - f*",14}");
        foreach (Trace trace in traces)
        {
            string iterations = trace.IterationsTo(Tolerance)?.ToString(CultureInfo.InvariantCulture) ?? $"> {trace.Gaps.Count - 1}";
            string ms = trace.SecondsTo(Tolerance) is { } s ? (1000 * s).ToString("F2", CultureInfo.InvariantCulture) : "-";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {trace.Method,-34} {iterations,20} {ms,12} {Math.Max(trace.Gaps[^1], 0),14:E2}"));
        }

        output.WriteLine();
    }

    /// <summary>log₁₀(f - f*) against log₁₀(iteration + 1), one line per method.</summary>
    public static void Draw(string title, IEnumerable<Trace> traces, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (Trace trace in traces)
        {
            double[] xs = Enumerable.Range(0, trace.Gaps.Count).Select(i => Math.Log10(i + 1)).ToArray();
            double[] ys = trace.Gaps.Select(g => Math.Log10(Math.Max(g, 1e-16))).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = trace.Method;
            line.LineWidth = 2;
        }

        plot.Add.HorizontalLine(Math.Log10(Tolerance), 1, ScottPlot.Colors.Gray, ScottPlot.LinePattern.Dashed);
        plot.Title(title);
        plot.XLabel("log10(iteration + 1)");
        plot.YLabel("log10(f - f*)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 800, 550);
    }
}
