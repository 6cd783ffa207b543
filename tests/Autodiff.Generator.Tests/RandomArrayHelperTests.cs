using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for helpers that return arrays, inlined at their calls: random map helpers
/// (a new array, element k a random expression of a scalar and the argument's element k) called on the program's
/// array, chained (one's result the next one's argument) and indexed directly, from the random programs of
/// <see cref="RandomProgramTests"/>, whose returns read the results. Gradients, JVPs and VJPs against central
/// differences (<see cref="GradientChecker"/>). 60 programs per run.
/// </summary>
public partial class RandomArrayHelperTests(ITestOutputHelper output)
{
    private const int ProgramsPerBatch = 30;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [GeneratedRegex(@"return (.+);")]
    private static partial Regex Return();

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsCallingArrayHelpersHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 6000 + batch;
        var generator = new RandomProgramGenerator(seed);
        string prefix = "R" + batch;
        string helpers = generator.Helpers(prefix, 3) + generator.ArrayHelpers(prefix, 3, 3);
        var random = new Random(seed);
        var programs = new List<(string Name, string Source)>();
        for (int i = 0; i < ProgramsPerBatch; i++)
        {
            string name = $"{prefix}P{i}";
            string M() => $"{prefix}M{random.Next(3)}";
            string calls = $$"""
                    double[] hm1 = {{M()}}(w, x0);
                    double[] hm2 = {{M()}}({{M()}}(hm1, x1), x2 * hm1[0]);
                    double hm3 = {{M()}}(hm2, x1)[2 % w.Length];

                """;
            string program = generator.Program(name, prefix, 3).Replace("    int n = w.Length;\n", "    int n = w.Length;\n" + calls, StringComparison.Ordinal);
            program = Return().Replace(program, "return $1 + hm1[1 % w.Length] * hm2[0] + hm2[w.Length - 1] + hm3;");
            programs.Add((name, program));
        }

        string source = "using System; using Autodiff;\npublic static partial class RandomArrays" + batch + "\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + GradientChecker.Wrappers(p.Name, 3))) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomArrays" + batch)!;

        List<string> failures = RandomProgramTests.CheckEach(programs, random, seed, arrayLengths: 5, (name, p, w) => GradientChecker.Check(type, name, p, w, 1e-6));

        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ProgramsPerBatch} programs calling array helpers (seed {seed}) have wrong gradients:\n{helpers}\n{string.Join("\n", failures.Take(2))}");
    }
}
