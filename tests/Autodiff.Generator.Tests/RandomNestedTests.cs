using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for nested differentiation: the random programs of <see cref="RandomProgramTests"/>
/// call the generated derivatives of random second-order helpers (a JVP's tangent, a deconstructed JVP, a gradient
/// with its adjoints, gradient steps in a loop) and their returns read the results; gradients, JVPs and VJPs against
/// central differences (<see cref="GradientChecker"/>). 60 programs per run.
/// </summary>
public partial class RandomNestedTests(ITestOutputHelper output)
{
    private const int ProgramsPerBatch = 30;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [GeneratedRegex(@"return (.+);")]
    private static partial Regex Return();

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsCallingGeneratedDerivativesHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 4000 + batch;
        var generator = new RandomProgramGenerator(seed);
        string prefix = "N" + batch;
        string helpers = generator.Helpers(prefix, 3).Replace("[Differentiable] public static double", "[Differentiable(SecondOrder = true)] public static double", StringComparison.Ordinal);
        var random = new Random(seed);
        var programs = new List<(string Name, string Source)>();
        for (int i = 0; i < ProgramsPerBatch; i++)
        {
            string name = $"{prefix}P{i}";
            string H() => $"{prefix}H{random.Next(3)}";
            string calls = $$"""
                    double nv = {{H()}}Jvp(x0, x1 * x2, x2, 0.5).Tangent;
                    double ng = {{H()}}Gradient(x1, x0 - x2, out double na, out double nb);
                    var (np, nq) = {{H()}}Jvp(x2, x0, 1.0, x1);
                    double sx = x0, sy = x1;
                    for (int s = 0; s < 2; s++)
                    {
                        {{H()}}Gradient(sx, sy, out double ga, out double gb);
                        sx = sx - 0.1 * ga;
                        sy = sy - 0.1 * gb;
                    }

                """;
            string program = generator.Program(name, prefix, 3).Replace("    int n = w.Length;\n", "    int n = w.Length;\n" + calls, StringComparison.Ordinal);
            program = Return().Replace(program, "return $1 + nv * na + ng - nb * np + nq + sx * sy;");
            programs.Add((name, program));
        }

        string source = "using System; using Autodiff;\npublic static partial class RandomNested" + batch + "\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + GradientChecker.Wrappers(p.Name, 3))) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomNested" + batch)!;

        List<string> failures = RandomProgramTests.CheckEach(programs, random, seed, arrayLengths: 5, (name, p, w) => GradientChecker.Check(type, name, p, w, 1e-6));

        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ProgramsPerBatch} programs calling generated derivatives (seed {seed}) have wrong gradients:\n{helpers}\n{string.Join("\n", failures.Take(2))}");
    }
}
