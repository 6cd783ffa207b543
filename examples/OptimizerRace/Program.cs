using System.Globalization;
using OptimizerRace;

// "Watch the optimizers": SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam on Rosenbrock, Beale and a
// saddle, with gradients from the Autodiff generator. Writes one PNG per surface and prints a table.
string output = args.Length > 0 ? args[0] : Path.Combine("out", "optimizer-race");
Directory.CreateDirectory(output);
foreach (Surface surface in Race.Surfaces)
{
    var trajectories = Race.Optimizers.Select(o => Race.Run(surface, o)).ToList();
    string png = Path.Combine(output, surface.Name.ToLowerInvariant() + ".png");
    Race.Draw(surface, trajectories, png);

    Console.WriteLine($"{surface.Name} from ({surface.Start.X}, {surface.Start.Y}), {surface.Steps} steps, minimum {surface.Minimum}:");
    Console.WriteLine($"  {"optimizer",-10} {"lr",8} {"steps to f - min < 1e-4",26} {"final f",14}");
    foreach (Trajectory t in trajectories)
    {
        string steps = t.StepsToTolerance?.ToString(CultureInfo.InvariantCulture) ?? (t.Xs.Length <= surface.Steps ? "diverged" : "not reached");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {t.Optimizer,-10} {surface.LearningRates[t.Optimizer],8:G3} {steps,26} {t.Final,14:G6}"));
    }

    Console.WriteLine($"  picture: {Path.GetFullPath(png)}");
    Console.WriteLine();
}
