using OptimizerRace;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// examples/OptimizerRace: the numbers behind the pictures (each optimizer's steps to tolerance in a recorded band, the
/// sweep's best rates inside the range it tries, SGD's divergence where the curvature says), and the pictures themselves
/// (sizes; the animation's frame count, size and frames that decode whole).
/// </summary>
public class OptimizerRaceTests
{
    [Fact]
    public void EverySurface_HasAWinnerWithinTolerance_AndAPicture()
    {
        string directory = Directory.CreateTempSubdirectory("race").FullName;
        try
        {
            foreach (Surface surface in Race.Surfaces)
            {
                var runs = Race.Optimizers.Select(o => Race.Run(surface, o)).ToList();
                Assert.Contains(runs, r => r.StepsToTolerance is not null);
                Assert.All(runs, r => Assert.True(double.IsFinite(r.Final) && !r.Diverged, $"{surface.Name}/{r.Optimizer} diverged"));
                Assert.All(runs, r => Assert.Equal(r.Xs.Length, r.Gaps.Length));
                string png = Path.Combine(directory, surface.Name + ".png");
                Pictures.DrawRace(surface, runs, png);
                using var image = SixLabors.ImageSharp.Image.Load(png);
                Assert.Equal((1260, 1080), (image.Width, image.Height));
                Assert.True(new FileInfo(png).Length > 50_000);
            }

            // The classic picture: Adam gets down Rosenbrock's valley from (-1.2, 1).
            Trajectory adam = Race.Run(Race.Surfaces[0], "Adam");
            Assert.True(adam.Final < 1e-8, $"Adam ends at f = {adam.Final}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void TheAnimation_DecodesToItsFrames_EachTheWholePicture()
    {
        string directory = Directory.CreateTempSubdirectory("race-gif").FullName;
        try
        {
            Surface saddle = Race.Find("Saddle");
            var runs = Race.Optimizers.Select(o => Race.Run(saddle, o)).ToList();
            string gif = Path.Combine(directory, "saddle.gif");
            Pictures.DrawAnimation(saddle, runs, gif);
            Assert.InRange(new FileInfo(gif).Length, 20_000, 1_000_000); // frames hold only what changed

            using var animation = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(gif);
            Assert.Equal(Pictures.MaxFrames, animation.Frames.Count);
            Assert.Equal((Pictures.GifWidth, Pictures.GifHeight), (animation.Width, animation.Height));

            // Each frame decodes to the whole picture (drawn over the last one): opaque everywhere, mostly white.
            foreach (int k in new[] { 1, Pictures.MaxFrames / 2, Pictures.MaxFrames - 1 })
            {
                using var frame = animation.Frames.CloneFrame(k);
                int transparent = 0, white = 0;
                frame.ProcessPixelRows(rows =>
                {
                    for (int y = 0; y < rows.Height; y++)
                    {
                        foreach (var pixel in rows.GetRowSpan(y))
                        {
                            transparent += pixel.A < 255 ? 1 : 0;
                            white += pixel.R > 240 && pixel.G > 240 && pixel.B > 240 ? 1 : 0;
                        }
                    }
                });
                Assert.Equal(0, transparent);
                Assert.InRange(white, Pictures.GifWidth * Pictures.GifHeight / 2, Pictures.GifWidth * Pictures.GifHeight);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(400)]
    [InlineData(5000)]
    [InlineData(50)]
    public void TheFrames_ShowIncreasingSteps_EndingAtTheLast(int steps)
    {
        int[] shown = Pictures.FrameSteps(steps);
        Assert.Equal(Math.Min(Pictures.MaxFrames, steps + 1), shown.Length);
        Assert.Equal(0, shown[0]);
        Assert.Equal(steps, shown[^1]);
        Assert.All(shown.Zip(shown.Skip(1)), pair => Assert.True(pair.First < pair.Second));
    }

    [Fact]
    public void TheSweep_HasEachOptimizersBestRateInsideTheRangeItTries()
    {
        // Too small a rate does not get there in time, too large a one diverges or circles: each optimizer's best rate
        // lies strictly inside the range, and the plain methods diverge at its top.
        Surface valley = Race.Find("Valley");
        IReadOnlyList<SweepRow> sweep = Race.Sweep(valley, 1e-4, 3, 31, 2000);
        Assert.Equal(Race.Optimizers, sweep.Select(r => r.Optimizer));
        foreach (SweepRow row in sweep)
        {
            Assert.NotNull(row.Best);
            Assert.InRange(row.Best!.Value, 1, row.LearningRates.Length - 2);
            Assert.Null(row.Steps[0]); // 1e-4: too small for every one of them
        }

        foreach (string plain in new[] { "SGD", "Momentum", "Nesterov" })
        {
            Assert.True(sweep.Single(r => r.Optimizer == plain).Diverged[^1], $"{plain} should diverge at lr 3");
        }

        // SGD on a quadratic of curvature 50 is stable below 2 / 50 = 0.04 and diverges above it.
        SweepRow sgd = sweep.Single(r => r.Optimizer == "SGD");
        for (int i = 0; i < sgd.LearningRates.Length; i++)
        {
            Assert.Equal(sgd.LearningRates[i] > 0.04, sgd.Diverged[i]);
        }

        string directory = Directory.CreateTempSubdirectory("race-sweep").FullName;
        try
        {
            string png = Path.Combine(directory, "sweep.png");
            Pictures.DrawSweep(valley, sweep, 2000, png);
            Assert.True(new FileInfo(png).Length > 20_000);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // Steps to tolerance recorded from the race (deterministic for a given optimizer, surface and start); null where the
    // optimizer does not reach it, then its final value within a factor of 2. A band of ±10% leaves room for the
    // rounding of another instruction set (FMA or not), and catches a changed update rule, which moves these by far more.
    [Theory]
    [InlineData("Rosenbrock", "SGD", null, 3.761e-3)]
    [InlineData("Rosenbrock", "Momentum", 4592, 0)]
    [InlineData("Rosenbrock", "Nesterov", 4623, 0)]
    [InlineData("Rosenbrock", "AdaGrad", 4981, 0)]
    [InlineData("Rosenbrock", "RMSProp", null, 3.107e-4)]
    [InlineData("Rosenbrock", "Adam", 2316, 0)]
    [InlineData("Beale", "SGD", null, 1.473e-3)]
    [InlineData("Beale", "Momentum", 1783, 0)]
    [InlineData("Beale", "Nesterov", 1780, 0)]
    [InlineData("Beale", "AdaGrad", 835, 0)]
    [InlineData("Beale", "RMSProp", 2999, 0)]
    [InlineData("Beale", "Adam", 2646, 0)]
    [InlineData("Saddle", "SGD", null, -2.119)]
    [InlineData("Saddle", "Momentum", 156, 0)]
    [InlineData("Saddle", "Nesterov", 152, 0)]
    [InlineData("Saddle", "AdaGrad", 43, 0)]
    [InlineData("Saddle", "RMSProp", 220, 0)]
    [InlineData("Saddle", "Adam", 105, 0)]
    [InlineData("Valley", "SGD", 165, 0)]
    [InlineData("Valley", "Momentum", 91, 0)]
    [InlineData("Valley", "Nesterov", 24, 0)]
    [InlineData("Valley", "AdaGrad", 260, 0)]
    [InlineData("Valley", "RMSProp", null, 1.25e-3)]
    [InlineData("Valley", "Adam", 359, 0)]
    public void EachOptimizer_ReachesTheToleranceInItsRecordedBand(string surfaceName, string optimizer, int? steps, double final)
    {
        Trajectory run = Race.Run(Race.Surfaces.Single(s => s.Name == surfaceName), optimizer);
        if (steps is { } expected)
        {
            Assert.NotNull(run.StepsToTolerance);
            Assert.InRange(run.StepsToTolerance!.Value, (int)(expected * 0.9), (int)Math.Ceiling(expected * 1.1));
        }
        else
        {
            Assert.Null(run.StepsToTolerance);
            Assert.InRange(run.Final, Math.Min(final / 2, final * 2), Math.Max(final / 2, final * 2));
        }
    }
}
