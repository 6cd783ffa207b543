namespace Digits;

/// <summary>Draws the learning curves (loss and accuracy, training and validation) as one PNG.</summary>
public static class LearningCurve
{
    public static void Save(IReadOnlyList<Autodiff.Training.EpochMetrics> history, int bestEpoch, string path)
    {
        double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
        var loss = new ScottPlot.Plot();
        loss.Add.ScatterLine(epochs, history.Select(e => e.TrainLoss).ToArray()).LegendText = "training";
        loss.Add.ScatterLine(epochs, history.Select(e => e.ValidationLoss).ToArray()).LegendText = "validation";
        loss.Add.VerticalLine(bestEpoch).LegendText = $"best (epoch {bestEpoch})";
        loss.Axes.SetLimitsY(0, Math.Max(1e-3, history.Max(e => Math.Max(e.TrainLoss, e.ValidationLoss)) * 1.05));
        loss.Title("Cross-entropy loss");
        loss.XLabel("epoch");
        loss.ShowLegend();

        var accuracy = new ScottPlot.Plot();
        accuracy.Add.ScatterLine(epochs, history.Select(e => 100 * e.TrainAccuracy).ToArray()).LegendText = "training";
        accuracy.Add.ScatterLine(epochs, history.Select(e => 100 * e.ValidationAccuracy).ToArray()).LegendText = "validation";
        accuracy.Add.VerticalLine(bestEpoch);
        accuracy.Title("Accuracy (%)");
        accuracy.XLabel("epoch");
        accuracy.ShowLegend(ScottPlot.Alignment.LowerRight);

        // Two panels, one above the other: each rendered on its own surface, then composed.
        const int Width = 800, PanelHeight = 450;
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(Width, 2 * PanelHeight));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        int top = 0;
        foreach (ScottPlot.Plot panel in new[] { loss, accuracy })
        {
            using var panelSurface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(Width, PanelHeight));
            panel.Render(panelSurface);
            using SkiaSharp.SKImage panelImage = panelSurface.Snapshot();
            surface.Canvas.DrawImage(panelImage, 0, top);
            top += PanelHeight;
        }

        using SkiaSharp.SKImage image = surface.Snapshot();
        using SkiaSharp.SKData png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        png.SaveTo(file);
    }
}
