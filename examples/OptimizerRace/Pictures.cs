using System.Globalization;
using ScottPlot;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;
using SkiaSharp;

namespace OptimizerRace;

/// <summary>
/// The race's pictures: per surface one PNG of small multiples (a panel per optimizer on the same contours, its path,
/// start, end and the minimum marked) above the gap f - min against the step on a log scale with every optimizer's
/// learning rate and steps to tolerance in the legend; an animated GIF of all paths growing together; and the
/// learning-rate sweep.
/// </summary>
public static class Pictures
{
    /// <summary>The most frames an animation has.</summary>
    public const int MaxFrames = 100;

    /// <summary>The size of an animation's frames.</summary>
    public const int GifWidth = 480, GifHeight = 480;

    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>Each optimizer's colour, the same in every picture.</summary>
    public static Color ColorOf(string optimizer) => Palette.GetColor(Array.IndexOf(Race.Optimizers, optimizer));

    /// <summary>"2316 steps", or why not: "not reached (f - min = 3.8e-3)", "diverged".</summary>
    public static string Outcome(Trajectory t)
        => t.StepsToTolerance is { } steps ? $"{steps} steps"
            : t.Diverged ? "diverged"
            : string.Create(CultureInfo.InvariantCulture, $"not reached (f - min = {t.Gaps[^1]:0.0e0})");

    private static string Rate(double learningRate) => learningRate.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>The small multiples and the gap panel in one PNG.</summary>
    public static void DrawRace(Surface surface, IReadOnlyList<Trajectory> runs, string path)
    {
        const int Columns = 3, Width = 1260, Height = 1080;
        var multiplot = new Multiplot();
        var grid = new ScottPlot.MultiplotLayouts.CustomGrid();
        int rows = (runs.Count + Columns - 1) / Columns;
        Coordinates3d[,] contour = Contour(surface);
        for (int i = 0; i < runs.Count; i++)
        {
            Trajectory run = runs[i];
            var plot = new Plot();
            Background(plot, surface, contour);
            Path(plot, run, run.Xs.Length);
            plot.Title($"{run.Optimizer}, lr {Rate(run.LearningRate)}: {Outcome(run)}", size: 15);
            multiplot.Subplots.Add(plot);
            grid.Set(plot, new GridCell(i / Columns, i % Columns, rows + 1, Columns));
        }

        Plot gaps = GapPanel(surface, runs);
        multiplot.Subplots.Add(gaps);
        grid.Set(gaps, new GridCell(rows, 0, rows + 1, Columns, 1, Columns));
        multiplot.Layout = grid;
        SavePng(multiplot, path, Width, Height);
    }

    /// <summary>
    /// All paths growing together, at most <see cref="MaxFrames"/> frames: frame k shows the steps up to about
    /// (steps + 1)^(k / (frames - 1)) - 1, so the early steps, where the optimizers differ most, get most frames.
    /// </summary>
    public static void DrawAnimation(Surface surface, IReadOnlyList<Trajectory> runs, string path)
    {
        int[] shown = FrameSteps(surface.Steps);
        Coordinates3d[,] contour = Contour(surface);
        using var animation = new SixLabors.ImageSharp.Image<Rgba32>(GifWidth, GifHeight);
        SixLabors.ImageSharp.MetadataExtensions.GetGifMetadata(animation.Metadata).RepeatCount = 0;
        SixLabors.ImageSharp.Image<Rgba32>? previous = null;
        try
        {
            foreach (int step in shown)
            {
                var plot = new Plot();
                Background(plot, surface, contour);
                foreach (Trajectory run in runs)
                {
                    Path(plot, run, Math.Min(step + 1, run.Xs.Length), legend: true);
                }

                plot.Title($"{surface.Name}: step {step.ToString(CultureInfo.InvariantCulture)} of {surface.Steps.ToString(CultureInfo.InvariantCulture)}", size: 15);
                plot.ShowLegend(Edge.Bottom);
                var frame = SixLabors.ImageSharp.Image.Load<Rgba32>(plot.GetImageBytes(GifWidth, GifHeight, ImageFormat.Png));

                // Only what changed: a pixel equal to the previous frame's is transparent, and each frame is drawn over
                // the last (not disposed). The paths grow by a little per frame, so a frame is mostly transparent, which
                // compresses to almost nothing (100 frames: about 120 KB instead of 3 MB).
                using var delta = frame.Clone();
                if (previous is not null)
                {
                    delta.ProcessPixelRows(previous, (now, before) =>
                    {
                        for (int y = 0; y < now.Height; y++)
                        {
                            Span<Rgba32> row = now.GetRowSpan(y);
                            Span<Rgba32> last = before.GetRowSpan(y);
                            for (int x = 0; x < row.Length; x++)
                            {
                                if (row[x] == last[x])
                                {
                                    row[x] = default;
                                }
                            }
                        }
                    });
                }

                GifFrameMetadata timing = SixLabors.ImageSharp.MetadataExtensions.GetGifMetadata(delta.Frames.RootFrame.Metadata);
                timing.FrameDelay = step == shown[^1] ? 300 : 8; // hundredths of a second; the last frame stays 3 s
                timing.DisposalMethod = GifDisposalMethod.NotDispose;
                animation.Frames.AddFrame(delta.Frames.RootFrame);
                previous?.Dispose();
                previous = frame;
            }
        }
        finally
        {
            previous?.Dispose();
        }

        animation.Frames.RemoveFrame(0); // the blank frame the image was made with
        // No dithering: the flat colours of a plot compress well, and a dithered background would not.
        var encoder = new GifEncoder { ColorTableMode = GifColorTableMode.Local, Quantizer = new WuQuantizer(new QuantizerOptions { Dither = null, MaxColors = 64 }) };
        SixLabors.ImageSharp.ImageExtensions.SaveAsGif(animation, path, encoder);
    }

    /// <summary>The steps the frames of an animation show: increasing, the last one the last step.</summary>
    public static int[] FrameSteps(int steps)
    {
        int frames = Math.Min(MaxFrames, steps + 1);
        var shown = new List<int>();
        for (int k = 0; k < frames; k++)
        {
            int step = (int)Math.Round(Math.Pow(steps + 1, k / (double)(frames - 1)) - 1);
            shown.Add(shown.Count == 0 ? 0 : Math.Max(step, shown[^1] + 1));
        }

        // Spacing the early frames one step apart can push the last ones past the end: pull them back in order.
        shown[^1] = steps;
        for (int k = shown.Count - 2; k >= 0 && shown[k] >= shown[k + 1]; k--)
        {
            shown[k] = shown[k + 1] - 1;
        }

        return shown.ToArray();
    }

    /// <summary>Steps to tolerance against the learning rate, one line per optimizer, on log axes.</summary>
    public static void DrawSweep(Surface surface, IReadOnlyList<SweepRow> sweep, int steps, string path)
    {
        var plot = new Plot();
        double limit = Math.Log10(steps);
        for (int r = 0; r < sweep.Count; r++)
        {
            SweepRow row = sweep[r];
            double ceiling = limit + 0.15 + 0.1 * r; // a row of its own above the limit for each optimizer's misses
            Color color = ColorOf(row.Optimizer);
            double[] x = row.LearningRates.Select(Math.Log10).ToArray();
            // Reached: a line through the runs that reached the tolerance, broken where one did not.
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < x.Length; i++)
            {
                if (row.Steps[i] is { } s)
                {
                    xs.Add(x[i]);
                    ys.Add(Math.Log10(s));
                }
                else
                {
                    xs.Add(x[i]);
                    ys.Add(double.NaN);
                }
            }

            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
            line.LineWidth = 2;
            line.MarkerSize = 6;
            line.MarkerShape = MarkerShape.FilledCircle;
            string best = row.Best is { } b ? $"best lr {Rate(row.LearningRates[b])}, {row.Steps[b]} steps" : "never reached";
            line.LegendText = $"{row.Optimizer}: {best}";

            // Not reached (too small) and diverged (too large), drawn above the plot's top line.
            double[] slow = x.Where((_, i) => row.Steps[i] is null && !row.Diverged[i]).ToArray();
            double[] diverged = x.Where((_, i) => row.Diverged[i]).ToArray();
            if (slow.Length > 0)
            {
                plot.Add.Markers(slow, slow.Select(_ => ceiling).ToArray(), MarkerShape.OpenCircle, 7, color);
            }

            if (diverged.Length > 0)
            {
                plot.Add.Markers(diverged, diverged.Select(_ => ceiling).ToArray(), MarkerShape.Eks, 8, color);
            }
        }

        var top = plot.Add.HorizontalLine(limit, 1, Colors.Gray, LinePattern.Dashed);
        top.LegendText = $"the limit, {steps} steps; above it a row per optimizer: ○ not reached, × diverged";
        LogAxis(plot.Axes.Bottom, "learning rate");
        LogAxis(plot.Axes.Left, "steps to f - min < 1e-4", above: limit);
        plot.Axes.SetLimitsY(1, limit + 0.25 + 0.1 * sweep.Count);
        plot.Title($"{surface.Name}: too small is slow, too large diverges ({steps} steps at most)", size: 16);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, 1300, 640);
    }

    // f - min against the step, log scale, all optimizers; the legend gives each one's rate and steps to tolerance.
    private static Plot GapPanel(Surface surface, IReadOnlyList<Trajectory> runs)
    {
        var plot = new Plot();
        foreach (Trajectory run in runs)
        {
            double[] steps = Enumerable.Range(0, run.Gaps.Length).Select(i => (double)i).ToArray();
            double[] gaps = run.Gaps.Select(g => Math.Log10(Math.Max(g, 1e-16))).ToArray();
            var line = plot.Add.ScatterLine(steps, gaps, ColorOf(run.Optimizer));
            line.LineWidth = 2;
            line.LegendText = $"{run.Optimizer}, lr {Rate(run.LearningRate)}: {Outcome(run)}";
        }

        var tolerance = plot.Add.HorizontalLine(Math.Log10(Race.Tolerance), 1, Colors.Gray, LinePattern.Dashed);
        tolerance.LegendText = "tolerance 1e-4";
        LogAxis(plot.Axes.Left, "f - min");
        plot.Axes.Bottom.Label.Text = "step";
        plot.Axes.SetLimitsX(0, surface.Steps);
        plot.Title($"{surface.Name}: f - min against the step", size: 15);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    // Contours of log(1 + f - min), so that the levels are spaced evenly on a log scale of f - min.
    private static Coordinates3d[,] Contour(Surface surface)
    {
        const int Cells = 120;
        var (xMin, xMax, yMin, yMax) = surface.View;
        var points = new Coordinates3d[Cells, Cells];
        for (int row = 0; row < Cells; row++)
        {
            for (int column = 0; column < Cells; column++)
            {
                double x = xMin + (xMax - xMin) * column / (Cells - 1);
                double y = yMax - (yMax - yMin) * row / (Cells - 1);
                points[row, column] = new Coordinates3d(x, y, Math.Log(1 + Math.Max(0, surface.F(x, y) - surface.Minimum)));
            }
        }

        return points;
    }

    private static void Background(Plot plot, Surface surface, Coordinates3d[,] contour)
    {
        var lines = plot.Add.ContourLines(contour, 14);
        lines.Colormap = new ScottPlot.Colormaps.Viridis();
        lines.LineWidth = 1;
        lines.LabelStyle.IsVisible = false;
        foreach ((double x, double y) in surface.Minima)
        {
            plot.Add.Marker(x, y, MarkerShape.FilledDiamond, 13, Colors.Black);
        }

        plot.Add.Marker(surface.Start.X, surface.Start.Y, MarkerShape.FilledCircle, 10, Colors.Black);
        var (xMin, xMax, yMin, yMax) = surface.View;
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
    }

    // The first `count` points of a path, its end marked with a square in the optimizer's colour.
    private static void Path(Plot plot, Trajectory run, int count, bool legend = false)
    {
        Color color = ColorOf(run.Optimizer);
        var line = plot.Add.ScatterLine(run.Xs[..count], run.Ys[..count], color);
        line.LineWidth = 2;
        if (legend)
        {
            line.LegendText = run.Optimizer;
        }

        plot.Add.Marker(run.Xs[count - 1], run.Ys[count - 1], MarkerShape.FilledSquare, 9, color);
    }

    // An axis whose coordinates are log10 of the values: ticks at the powers of ten, labelled 1e-4, and minor ticks between.
    // Nothing is labelled above `above` (the sweep's rows of misses are not a number of steps).
    private static void LogAxis(IAxis axis, string label, double above = double.PositiveInfinity)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = v => v > above ? string.Empty : "1e" + v.ToString("0", CultureInfo.InvariantCulture),
        };
        axis.Label.Text = label;
    }

    private static void SavePng(Multiplot multiplot, string path, int width, int height)
    {
        using SKSurface surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(SKColors.White);
        multiplot.Render(surface.Canvas, new PixelRect(0, width, height, 0));
        using SKImage image = surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        data.SaveTo(file);
    }
}
