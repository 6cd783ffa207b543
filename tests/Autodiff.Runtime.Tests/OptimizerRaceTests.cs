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
}
