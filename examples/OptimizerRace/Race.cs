using Autodiff.Optimizers;

namespace OptimizerRace;

/// <summary>One surface of the race: the function, its generated gradient, where to start and what to draw.</summary>
public sealed record Surface(string Name, Func<double, double, double> F, Func<double, double, (double, double)> Gradient,
    (double X, double Y) Start, (double XMin, double XMax, double YMin, double YMax) View, double Minimum, int Steps,
    IReadOnlyDictionary<string, double> LearningRates);

/// <summary>A run: the path taken, the final value and the first step within tolerance of the minimum (or null).</summary>
public sealed record Trajectory(string Optimizer, double[] Xs, double[] Ys, double Final, int? StepsToTolerance);

public static class Race
{
    public const double Tolerance = 1e-4;

    public static readonly string[] Optimizers = { "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam" };

    public static IReadOnlyList<Surface> Surfaces { get; } = new[]
    {
        new Surface("Rosenbrock", global::OptimizerRace.Surfaces.Rosenbrock,
            (x, y) => { global::OptimizerRace.Surfaces.RosenbrockGradient(x, y, out double dx, out double dy); return (dx, dy); },
            (-1.2, 1.0), (-2, 2, -1, 3), 0, 5000,
            new Dictionary<string, double> { ["SGD"] = 1e-3, ["Momentum"] = 2e-4, ["Nesterov"] = 2e-4, ["AdaGrad"] = 0.5, ["RMSProp"] = 1e-3, ["Adam"] = 0.02 }),
        new Surface("Beale", global::OptimizerRace.Surfaces.Beale,
            (x, y) => { global::OptimizerRace.Surfaces.BealeGradient(x, y, out double dx, out double dy); return (dx, dy); },
            (1.0, 1.5), (-1, 4, -1, 2), 0, 5000,
            new Dictionary<string, double> { ["SGD"] = 1e-3, ["Momentum"] = 5e-4, ["Nesterov"] = 5e-4, ["AdaGrad"] = 0.5, ["RMSProp"] = 1e-3, ["Adam"] = 0.01 }),
        new Surface("Saddle", global::OptimizerRace.Surfaces.Saddle,
            (x, y) => { global::OptimizerRace.Surfaces.SaddleGradient(x, y, out double dx, out double dy); return (dx, dy); },
            (-1.5, 1e-3), (-2, 2, -3, 3), -2.5, 400,
            new Dictionary<string, double> { ["SGD"] = 0.01, ["Momentum"] = 0.005, ["Nesterov"] = 0.005, ["AdaGrad"] = 0.3, ["RMSProp"] = 0.01, ["Adam"] = 0.05 }),
    };

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

    /// <summary>Runs one optimizer on one surface, recording every point.</summary>
    public static Trajectory Run(Surface surface, string optimizer)
    {
        Optimizer opt = Create(optimizer, surface.LearningRates[optimizer]);
        double[] p = { surface.Start.X, surface.Start.Y };
        double[] g = new double[2];
        var xs = new List<double> { p[0] };
        var ys = new List<double> { p[1] };
        int? reached = null;
        for (int step = 1; step <= surface.Steps; step++)
        {
            (g[0], g[1]) = surface.Gradient(p[0], p[1]);
            opt.Step<double>(p, g);
            if (!double.IsFinite(p[0]) || !double.IsFinite(p[1]))
            {
                break; // diverged: the table says so
            }

            xs.Add(p[0]);
            ys.Add(p[1]);
            if (reached is null && surface.F(p[0], p[1]) - surface.Minimum < Tolerance)
            {
                reached = step;
            }
        }

        return new Trajectory(optimizer, xs.ToArray(), ys.ToArray(), surface.F(xs[^1], ys[^1]), reached);
    }

    /// <summary>Heatmap of log(1 + f - min) with every trajectory drawn over it.</summary>
    public static void Draw(Surface surface, IReadOnlyList<Trajectory> trajectories, string path)
    {
        const int Cells = 200;
        var (xMin, xMax, yMin, yMax) = surface.View;
        var intensities = new double[Cells, Cells];
        for (int row = 0; row < Cells; row++)
        {
            for (int column = 0; column < Cells; column++)
            {
                double x = xMin + (xMax - xMin) * (column + 0.5) / Cells;
                double y = yMax - (yMax - yMin) * (row + 0.5) / Cells;
                intensities[row, column] = Math.Log(1 + Math.Max(0, surface.F(x, y) - surface.Minimum));
            }
        }

        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Extent = new ScottPlot.CoordinateRect(xMin, xMax, yMin, yMax);
        heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
        foreach (Trajectory t in trajectories)
        {
            var line = plot.Add.ScatterLine(t.Xs, t.Ys);
            line.LegendText = t.Optimizer;
            line.LineWidth = 2;
        }

        plot.Add.Marker(surface.Start.X, surface.Start.Y, ScottPlot.MarkerShape.FilledCircle, 10, ScottPlot.Colors.Red);
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        plot.Title($"{surface.Name}: {surface.Steps} steps from ({surface.Start.X}, {surface.Start.Y})");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 800, 650);
    }
}
