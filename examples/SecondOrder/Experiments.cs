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

    /// <summary>What tuning the step size of gradient descent by its own gradient found, against a grid search.</summary>
    public sealed record StepSize(int Steps, double StartRate, double StartLoss, double Rate, double Loss, int Evaluations, double GridRate, double GridLoss);

    /// <summary>
    /// The step size of <paramref name="steps"/> gradient-descent steps on Rosenbrock, tuned by gradient descent on its
    /// logarithm with the gradient of <see cref="Problems.AfterSteps"/> (differentiated through the steps) and a
    /// backtracking line search (a step size past the stable one makes the loss explode, and the search backs off);
    /// beside it the best of a 60-point grid over 1e-5 .. 1e-2.
    /// </summary>
    public static StepSize TuneStepSize(int steps)
    {
        double logRate = Math.Log(1e-4);
        double loss = Problems.AfterSteps(logRate, steps);
        double startLoss = loss;
        double move = 1.0; // in log-rate
        int evaluations = 1;
        for (int iteration = 0; iteration < 40 && move > 1e-6; iteration++)
        {
            Problems.AfterStepsGradient(logRate, steps, out double g);
            evaluations++;
            if (!double.IsFinite(g) || g == 0)
            {
                break;
            }

            // A step of `move` in the log-rate against the gradient's sign, halved until the loss falls by a fraction of
            // what the slope promises (Armijo), and lengthened after a step that does.
            while (move > 1e-6)
            {
                double trial = logRate - move * Math.Sign(g);
                double trialLoss = Problems.AfterSteps(trial, steps);
                evaluations++;
                if (double.IsFinite(trialLoss) && trialLoss <= loss - 1e-4 * move * Math.Abs(g))
                {
                    logRate = trial;
                    loss = trialLoss;
                    move *= 1.5;
                    break;
                }

                move *= 0.5;
            }
        }

        (double gridRate, double gridLoss) = (double.NaN, double.PositiveInfinity);
        for (int i = 0; i < 60; i++)
        {
            double candidate = Math.Log(1e-5) + i * (Math.Log(1e-2) - Math.Log(1e-5)) / 59;
            double value = Problems.AfterSteps(candidate, steps);
            if (double.IsFinite(value) && value < gridLoss)
            {
                (gridRate, gridLoss) = (Math.Exp(candidate), value);
            }
        }

        return new StepSize(steps, 1e-4, startLoss, Math.Exp(logRate), loss, evaluations, gridRate, gridLoss);
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
