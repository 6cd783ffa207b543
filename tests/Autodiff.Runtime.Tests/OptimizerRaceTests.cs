using OptimizerRace;
using Xunit;

namespace Autodiff.Runtime.Tests;

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
                Assert.All(runs, r => Assert.True(double.IsFinite(r.Final), $"{surface.Name}/{r.Optimizer} diverged"));
                string png = Path.Combine(directory, surface.Name + ".png");
                Race.Draw(surface, runs, png);
                Assert.True(new FileInfo(png).Length > 10_000);
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
