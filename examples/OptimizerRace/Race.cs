using Autodiff.Optimizers;

namespace OptimizerRace;

/// <summary>
/// One surface of the race: the function, its generated gradient, where to start, the view to draw, the minimum value
/// and where it is attained, the steps to take and each optimizer's learning rate.
/// </summary>
public sealed record Surface(string Name, Func<double, double, double> F, Func<double, double, (double, double)> Gradient,
    (double X, double Y) Start, (double XMin, double XMax, double YMin, double YMax) View, double Minimum,
    (double X, double Y)[] Minima, int Steps, IReadOnlyDictionary<string, double> LearningRates);

/// <summary>
/// A run: the path taken (every point, the start first), the value f - min after every step (the start's first), the
/// final value and the first step within tolerance of the minimum (or null).
/// </summary>
public sealed record Trajectory(string Optimizer, double LearningRate, double[] Xs, double[] Ys, double[] Gaps, double Final, int? StepsToTolerance)
{
    /// <summary>The run left the finite numbers (the path stops at the last finite point).</summary>
    public bool Diverged { get; init; }
}

/// <summary>One optimizer's row of a learning-rate sweep: steps to tolerance per rate (null: not reached or diverged).</summary>
public sealed record SweepRow(string Optimizer, double[] LearningRates, int?[] Steps, bool[] Diverged)
{
    /// <summary>The rate that reached the tolerance in the fewest steps, or null when none did.</summary>
    public int? Best => Steps.Select((s, i) => (s, i)).Where(p => p.s is not null).OrderBy(p => p.s).Select(p => (int?)p.i).FirstOrDefault();
}

public static class Race
{
    public const double Tolerance = 1e-4;

    public static readonly string[] Optimizers = { "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam" };

    public static IReadOnlyList<Surface> Surfaces { get; } = new[]
    {
        new Surface("Rosenbrock", global::OptimizerRace.Surfaces.Rosenbrock,
            (x, y) => { global::OptimizerRace.Surfaces.RosenbrockGradient(x, y, out double dx, out double dy); return (dx, dy); },
            (-1.2, 1.0), (-2, 2, -1, 3), 0, new[] { (1.0, 1.0) }, 5000,
            new Dictionary<string, double> { ["SGD"] = 1e-3, ["Momentum"] = 2e-4, ["Nesterov"] = 2e-4, ["AdaGrad"] = 0.5, ["RMSProp"] = 1e-3, ["Adam"] = 0.02 }),
        new Surface("Beale", global::OptimizerRace.Surfaces.Beale,
            (x, y) => { global::OptimizerRace.Surfaces.BealeGradient(x, y, out double dx, out double dy); return (dx, dy); },
            (1.0, 1.5), (-1, 4, -1, 2), 0, new[] { (3.0, 0.5) }, 5000,
            new Dictionary<string, double> { ["SGD"] = 1e-3, ["Momentum"] = 5e-4, ["Nesterov"] = 5e-4, ["AdaGrad"] = 0.5, ["RMSProp"] = 1e-3, ["Adam"] = 0.01 }),
        new Surface("Saddle", global::OptimizerRace.Surfaces.Saddle,
            (x, y) => { global::OptimizerRace.Surfaces.SaddleGradient(x, y, out double dx, out double dy); return (dx, dy); },
            (-1.5, 1e-3), (-2, 2, -3, 3), -2.5, new[] { (0.0, Math.Sqrt(5)), (0.0, -Math.Sqrt(5)) }, 400,
            new Dictionary<string, double> { ["SGD"] = 0.01, ["Momentum"] = 0.005, ["Nesterov"] = 0.005, ["AdaGrad"] = 0.3, ["RMSProp"] = 0.01, ["Adam"] = 0.05 }),
        new Surface("Valley", global::OptimizerRace.Surfaces.Valley,
            (x, y) => { global::OptimizerRace.Surfaces.ValleyGradient(x, y, out double dx, out double dy); return (dx, dy); },
            (-2.0, -1.0), (-2.5, 1.5, -2, 2), 0, new[] { (0.0, 0.0) }, 500,
            new Dictionary<string, double> { ["SGD"] = 0.03, ["Momentum"] = 0.01, ["Nesterov"] = 0.01, ["AdaGrad"] = 0.5, ["RMSProp"] = 0.01, ["Adam"] = 0.05 }),
    };

    public static Surface Find(string name) => Surfaces.Single(s => s.Name == name);

    public static Optimizer Create(string name, double learningRate) => name switch
    {
        "SGD" => new Sgd(learningRate),
        "Momentum" => new Sgd(learningRate, momentum: 0.9),
        "Nesterov" => new Sgd(learningRate, momentum: 0.9, nesterov: true),
        "AdaGrad" => new AdaGrad(learningRate),
        "RMSProp" => new RmsProp(learningRate),
        "Adam" => new Adam(learningRate),
        _ => throw new ArgumentException($"Unknown optimizer '{name}'."),
    };

    /// <summary>Runs one optimizer on one surface at its race learning rate, recording every point.</summary>
    public static Trajectory Run(Surface surface, string optimizer) => Run(surface, optimizer, surface.LearningRates[optimizer], surface.Steps);

    /// <summary>Runs one optimizer on one surface at a given learning rate for at most <paramref name="steps"/> steps.</summary>
    public static Trajectory Run(Surface surface, string optimizer, double learningRate, int steps)
    {
        Optimizer opt = Create(optimizer, learningRate);
        double[] p = { surface.Start.X, surface.Start.Y };
        double[] g = new double[2];
        var xs = new List<double> { p[0] };
        var ys = new List<double> { p[1] };
        var gaps = new List<double> { surface.F(p[0], p[1]) - surface.Minimum };
        int? reached = null;
        bool diverged = false;
        for (int step = 1; step <= steps; step++)
        {
            (g[0], g[1]) = surface.Gradient(p[0], p[1]);
            opt.Step<double>(p, g);
            double gap = surface.F(p[0], p[1]) - surface.Minimum;
            if (!double.IsFinite(p[0]) || !double.IsFinite(p[1]) || !double.IsFinite(gap) || gap > 1e12)
            {
                diverged = true; // the table and the pictures say so; the path stops at the last finite point
                break;
            }

            xs.Add(p[0]);
            ys.Add(p[1]);
            gaps.Add(gap);
            if (reached is null && gap < Tolerance)
            {
                reached = step;
            }
        }

        return new Trajectory(optimizer, learningRate, xs.ToArray(), ys.ToArray(), gaps.ToArray(), gaps[^1] + surface.Minimum, reached) { Diverged = diverged };
    }

    /// <summary>
    /// Steps to tolerance against the learning rate for every optimizer: <paramref name="count"/> rates spaced evenly
    /// on a log scale from <paramref name="from"/> to <paramref name="to"/>, each run for at most <paramref name="steps"/> steps.
    /// </summary>
    public static IReadOnlyList<SweepRow> Sweep(Surface surface, double from, double to, int count, int steps)
    {
        double[] rates = Enumerable.Range(0, count).Select(i => from * Math.Pow(to / from, i / (double)(count - 1))).ToArray();
        return Optimizers.Select(o =>
        {
            Trajectory[] runs = rates.Select(r => Run(surface, o, r, steps)).ToArray();
            return new SweepRow(o, rates, runs.Select(r => r.StepsToTolerance).ToArray(), runs.Select(r => r.Diverged).ToArray());
        }).ToList();
    }
}
