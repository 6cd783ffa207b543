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

    /// <summary>
    /// The skeleton of the randomized tests of one construct: random programs of the generator, each with
    /// <paramref name="insert"/>'s statements after <c>int n = w.Length;</c> (which may use the construct through
    /// <paramref name="helpers"/>), every return changed by <paramref name="changeReturn"/> (so that it reads them), and
    /// <paramref name="appendToBody"/>'s text at the end of the body (the programs come from <paramref name="generator"/>,
    /// which made the helpers); compiled together in class
    /// <paramref name="className"/> (no AD error, no warning in generated code) and checked like
    /// <see cref="CheckEach"/>. Asserts that none fails, printing the failures.
    /// </summary>
    internal static void CheckPrograms(ITestOutputHelper output, string what, string className, int seed, RandomProgramGenerator generator, string prefix,
        string helpers, int count, Func<Random, string> insert, Func<Random, string, string> changeReturn, Func<Random, string>? appendToBody = null)
    {
        var random = new Random(seed);
        var programs = new List<(string Name, string Source)>();
        for (int i = 0; i < count; i++)
        {
            string name = $"{prefix}P{i}";
            string program = generator.Program(name, prefix, 3).Replace("    int n = w.Length;\n", "    int n = w.Length;\n" + insert(random), StringComparison.Ordinal);
            program = System.Text.RegularExpressions.Regex.Replace(program, @"return (.+);", m => changeReturn(random, m.Groups[1].Value));
            if (appendToBody is not null)
            {
                int end = program.LastIndexOf('}');
                program = program[..end] + "\n" + appendToBody(random) + program[end..];
            }

            programs.Add((name, program));
        }

        string source = "using System; using Autodiff;\npublic static partial class " + className + "\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + GradientChecker.Wrappers(p.Name, 3))) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType(className)!;

        List<string> failures = CheckEach(programs, random, seed, arrayLengths: 5, (name, p, w) => GradientChecker.Check(type, name, p, w, 1e-6));
        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} programs {what} (seed {seed}) have wrong gradients:\n{helpers}\n{string.Join("\n", failures.Take(2))}");
    }
}
