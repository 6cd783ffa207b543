using System.Globalization;
using OptimizerRace;

// "Watch the optimizers": SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam on Rosenbrock, Beale, a saddle and an
// ill-conditioned valley, with gradients from the Autodiff generator. Per surface it writes a PNG (a panel per
// optimizer, and f - min against the step) and an animated GIF, then a learning-rate sweep on the valley, and prints
// the tables. Usage: dotnet run --project examples/OptimizerRace [output-folder]
string output = args.Length > 0 ? args[0] : Path.Combine("out", "optimizer-race");
try
{
    Directory.CreateDirectory(output);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Cannot create the output folder '{output}': {e.Message}");
    return 1;
}

try
{
    foreach (Surface surface in Race.Surfaces)
    {
        var runs = Race.Optimizers.Select(o => Race.Run(surface, o)).ToList();
        string stem = Path.Combine(output, surface.Name.ToLowerInvariant());
        Pictures.DrawRace(surface, runs, stem + ".png");
        Pictures.DrawAnimation(surface, runs, stem + ".gif");

        Console.WriteLine($"{surface.Name} from ({surface.Start.X}, {surface.Start.Y}), {surface.Steps} steps, minimum {surface.Minimum}:");
        Console.WriteLine($"  {"optimizer",-10} {"lr",8} {"steps to f - min < 1e-4",26} {"final f",14}");
        foreach (Trajectory t in runs)
        {
            string steps = t.StepsToTolerance?.ToString(CultureInfo.InvariantCulture) ?? (t.Diverged ? "diverged" : "not reached");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {t.Optimizer,-10} {t.LearningRate,8:G3} {steps,26} {t.Final,14:G6}"));
        }

        Console.WriteLine($"  pictures: {Path.GetFullPath(stem + ".png")}, {Path.GetFullPath(stem + ".gif")}");
        Console.WriteLine();
    }

    const int SweepSteps = 2000;
    Surface valley = Race.Find("Valley");
    IReadOnlyList<SweepRow> sweep = Race.Sweep(valley, 1e-4, 3, 31, SweepSteps);
    string sweepPng = Path.Combine(output, "sweep-valley.png");
    Pictures.DrawSweep(valley, sweep, SweepSteps, sweepPng);
    Console.WriteLine($"Learning-rate sweep on the valley ({sweep[0].LearningRates.Length} rates from 1e-4 to 3, {SweepSteps} steps at most):");
    foreach (SweepRow row in sweep)
    {
        string best = row.Best is { } b ? string.Create(CultureInfo.InvariantCulture, $"lr {row.LearningRates[b]:G3}: {row.Steps[b]} steps") : "never reached";
        int diverged = row.Diverged.Count(d => d);
        Console.WriteLine($"  {row.Optimizer,-10} best {best,-24} diverged at {diverged} of the rates");
    }

    Console.WriteLine($"  picture: {Path.GetFullPath(sweepPng)}");
    return 0;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Cannot write the pictures to '{output}': {e.Message}");
    return 1;
}
