using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for second derivatives: the random programs of <see cref="RandomProgramTests"/>
/// (loops, branches, calls, reductions, running products, selections) marked <c>[Differentiable(SecondOrder = true)]</c>,
/// their Hessians checked against central differences of the generated gradient, and their Hessian-vector products,
/// directional derivatives and directional VJPs against the Hessian (<see cref="SecondOrderChecker"/>). 120 programs
/// per run; AUTODIFF_RANDOM_SEED replays.
/// </summary>
public class RandomSecondOrderTests(ITestOutputHelper output)
{
    private const int ProgramsPerBatch = 40;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 3).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void RandomProgramsHaveCorrectHessians(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 1000 + batch;
        var generator = new RandomProgramGenerator(seed);
        var programs = new List<(string Name, string Source)>();
        string prefix = "S" + batch;
        string helpers = generator.Helpers(prefix, 3);
        for (int i = 0; i < ProgramsPerBatch; i++)
        {
            string name = $"{prefix}P{i}";
            programs.Add((name, generator.Program(name, prefix, 3)));
        }

        string source = ("using System; using Autodiff;\npublic static partial class RandomSecond" + batch + "\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + SecondOrderChecker.Wrappers(p.Name, 3))) + "\n}\n")
            .Replace("[Differentiable]", "[Differentiable(SecondOrder = true)]", StringComparison.Ordinal);
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomSecond" + batch)!;
        int Count(string marker) => result.Sources.Count(s => s.SourceText.ToString().Contains(marker, StringComparison.Ordinal));
        output.WriteLine($"seed {seed}: {Count("picked last)")} with the tangent of a running minimum or maximum taken at the iteration it picked, "
            + $"{Count("(fused:")} with fused final loops, {Count("(run again forwards")} with loops run again, {Count("(what each iteration carries is kept")} with checkpointed loops");

        List<string> failures = RandomProgramTests.CheckEach(programs, new Random(seed), seed, arrayLengths: 5, (name, p, w) => SecondOrderChecker.Check(type, name, p, w, 1e-5));

        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ProgramsPerBatch} random programs (seed {seed}) have wrong second derivatives:\n{string.Join("\n", failures.Take(3))}");
    }
}
