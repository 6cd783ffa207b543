using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for void helpers differentiated through their bodies: random fill helpers (a loop
/// reading what the span held, an early return, calls of scalar helpers) called twice, and three times in a loop, from the random programs of
/// <see cref="RandomProgramTests"/>, whose results the program's returns read; gradients, JVPs and VJPs against
/// central differences (<see cref="GradientChecker"/>). 80 programs per run.
/// </summary>
public partial class RandomInliningTests(ITestOutputHelper output)
{
    private const int ProgramsPerBatch = 40;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [GeneratedRegex(@"return (.+);")]
    private static partial Regex Return();

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsCallingFillHelpersHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 3000 + batch;
        var generator = new RandomProgramGenerator(seed);
        string prefix = "I" + batch;
        string helpers = generator.Helpers(prefix, 3) + generator.FillHelpers(prefix, 3, 3);
        var random = new Random(seed);
        var programs = new List<(string Name, string Source)>();
        for (int i = 0; i < ProgramsPerBatch; i++)
        {
            string name = $"{prefix}P{i}";
            string calls = $"    Span<double> zz = stackalloc double[3];\n    {prefix}F{random.Next(3)}(x0 * x1, x2, zz);\n    {prefix}F{random.Next(3)}(zz[0], x1 - zz[2], zz);\n    for (int rr = 0; rr < 3; rr++)\n    {{\n        {prefix}F{random.Next(3)}(zz[1] - rr * x0, x2 + rr, zz);\n    }}\n";
            string program = generator.Program(name, prefix, 3).Replace("    int n = w.Length;\n", "    int n = w.Length;\n" + calls, StringComparison.Ordinal);
            program = Return().Replace(program, "return $1 + zz[0] * zz[1] - zz[2];");
            programs.Add((name, program));
        }

        string source = "using System; using Autodiff;\npublic static partial class RandomInline" + batch + "\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + GradientChecker.Wrappers(p.Name, 3))) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomInline" + batch)!;

        List<string> failures = RandomProgramTests.CheckEach(programs, random, seed, arrayLengths: 5, (name, p, w) => GradientChecker.Check(type, name, p, w, 1e-6));

        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ProgramsPerBatch} programs calling fill helpers (seed {seed}) have wrong gradients:\n{helpers}\n{string.Join("\n", failures.Take(2))}");
    }
}
