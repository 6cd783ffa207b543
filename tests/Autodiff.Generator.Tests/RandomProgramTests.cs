using System.Globalization;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test: 500 random programs per run (5 batches of 100), each compiled with the
/// generator and checked against central finite differences, JVP and VJP. Set AUTODIFF_RANDOM_SEED to replay;
/// the seed and the failing program are printed on failure.
/// </summary>
public class RandomProgramTests(ITestOutputHelper output)
{
    private const int ProgramsPerBatch = 100;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 5).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void RandomProgramsHaveCorrectGradients(int batch)
    {
        int seed = BaseSeed() + batch;
        var generator = new RandomProgramGenerator(seed);
        var programs = new List<(string Name, string Source)>();
        string prefix = "B" + batch;
        string helpers = generator.Helpers(prefix, 3);
        for (int i = 0; i < ProgramsPerBatch; i++)
        {
            string name = $"{prefix}P{i}";
            programs.Add((name, generator.Program(name, prefix, 3)));
        }

        string source = "using System; using Autodiff;\npublic static partial class Random" + batch + "\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + GradientChecker.Wrappers(p.Name, 3))) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("Random" + batch)!;
        int Count(string marker) => result.Sources.Count(s => s.SourceText.ToString().Contains(marker, StringComparison.Ordinal));
        output.WriteLine($"seed {seed}: {Count("(fused:")} fused final loops, {Count("(each branch followed by its reverse)")} with a final if, "
            + $"{Count("is not cleared first")} writing an adjoint once per element, {Count("picked last)")} with selection loops, "
            + $"{Count("(run again forwards")} with loops run again in the reverse sweep, {Count("(each iteration followed by its reverse)")} with a final loop inside a fused one, "
            + $"{Count("(what each iteration carries is kept")} with checkpointed loops");

        List<string> failures = CheckEach(programs, new Random(seed), seed, arrayLengths: 6, (name, p, w) => GradientChecker.Check(type, name, p, w, 1e-6));

        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ProgramsPerBatch} random programs (seed {seed}) have wrong derivatives:\n{string.Join("\n", failures.Take(3))}");
    }

    /// <summary>AUTODIFF_RANDOM_SEED when set (to replay a run), else a fixed seed.</summary>
    internal static int BaseSeed()
        => int.TryParse(Environment.GetEnvironmentVariable("AUTODIFF_RANDOM_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : 20261123;

    /// <summary>A random input in [-1.2, 1.2], rounded, off the kinks at round numbers.</summary>
    internal static double Next(Random random) => Math.Round(random.NextDouble() * 2.4 - 1.2, 4) + 1e-5;

    /// <summary>
    /// Checks each program at a random point (three scalars, an array of 1 to <paramref name="arrayLengths"/> - 1
    /// elements). A failure is checked again at a nearby point: a finite difference that straddles a branch switch or
    /// a kink is not a bug, and a real error fails there too. Returns the failures that stay, with their programs.
    /// </summary>
    internal static List<string> CheckEach(IEnumerable<(string Name, string Source)> programs, Random random, int seed, int arrayLengths, Func<string, double[], double[], string?> check)
    {
        var failures = new List<string>();
        foreach ((string name, string program) in programs)
        {
            double[] p = { Next(random), Next(random), Next(random) };
            double[] w = Enumerable.Range(0, random.Next(1, arrayLengths)).Select(_ => Next(random)).ToArray();
            if (check(name, p, w) is { } failure)
            {
                double[] p2 = p.Select(v => v + 1e-3 * Next(random)).ToArray();
                if (check(name, p2, w) is { } second)
                {
                    failures.Add($"seed {seed}: {failure}{second}\n{program}");
                }
            }
        }

        return failures;
    }
}
