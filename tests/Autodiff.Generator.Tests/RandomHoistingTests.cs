using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for loop-invariant hoisting (<c>InvariantHoisting</c>): the random programs of
/// <see cref="RandomProgramTests"/> get an outer loop (0, 1 or 3 trips) around inner counted loops whose terms mix
/// values the outer loop never changes (entire functions of parameter elements, of a local array, of scalars) with
/// values it does (its counter, a running sum), sometimes under a branch or after a <c>continue</c> (not hoisted), with
/// a local array the outer loop writes (its values are not invariant), an inner loop not starting at zero, and in half
/// the programs a final outer loop summing into the result (fused by the reverse sweep). Gradients,
/// JVPs and VJPs against central differences (<see cref="GradientChecker"/>); 60 programs per run.
/// </summary>
public class RandomHoistingTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    private static readonly string[] Invariant =
    {
        "Math.Exp(w[c] * x1)", "Math.Sin(hw[c] - x2)", "Math.Tanh(w[c] * w[c] + x1)", "Math.Cos(x2 * hw[c]) * w[c]",
        "(Math.Exp(-w[c]) + Math.Atan(w[c] * x1))", "Math.Sinh(0.3 * hw[c]) * Math.Cosh(0.2 * w[c])",
    };

    private static readonly string[] Variant = { "(x0 + r)", "Math.Exp(0.1 * acc)", "(r * 0.5 + w[c])", "Math.Sin(acc + w[c])" };

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsWithInvariantValuesInNestedLoopsHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 7000 + batch;
        string prefix = "H" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers(prefix, 3);
        RandomProgramTests.CheckPrograms(output, "with invariant values in nested loops", "RandomHoisting" + batch, seed, generator, prefix, helpers, 30, Insert, Return);
    }

    /// <summary>
    /// 20 of the same programs marked <c>SecondOrder</c> (so their tangent programs and HVPs go through the hoisted
    /// arrays too): Hessians against central differences of the generated gradient, HVPs and directional derivatives
    /// against the Hessian. The gradient itself is checked against the function by the test above: an error in the
    /// hoisting shows there (reading every hoisted value at index 0 fails 23 of its programs and none here).
    /// </summary>
    [Fact]
    public void TheirSecondDerivativesAreRightToo()
    {
        int seed = RandomProgramTests.BaseSeed() + 7100;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers("HS", 3);
        var random = new Random(seed);
        var programs = new List<(string Name, string Source)>();
        for (int i = 0; i < 20; i++)
        {
            string name = $"HSP{i}";
            string program = generator.Program(name, "HS", 3).Replace("    int n = w.Length;\n", "    int n = w.Length;\n" + Insert(random), StringComparison.Ordinal);
            programs.Add((name, System.Text.RegularExpressions.Regex.Replace(program, @"return (.+);", m => Return(random, m.Groups[1].Value))));
        }

        string source = ("using System; using Autodiff;\npublic static partial class RandomHoistingSecond\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + SecondOrderChecker.Wrappers(p.Name, 3))) + "\n}\n")
            .Replace("[Differentiable]", "[Differentiable(SecondOrder = true)]", StringComparison.Ordinal);
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.Contains(result.Sources, s => s.SourceText.ToString().Contains("__hoisted", StringComparison.Ordinal));
        Type type = GeneratorHarness.Load(result).GetType("RandomHoistingSecond")!;
        List<string> failures = RandomProgramTests.CheckEach(programs, random, seed, arrayLengths: 5, (name, p, w) => SecondOrderChecker.Check(type, name, p, w, 1e-5));
        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 20 programs (seed {seed}) have wrong second derivatives:\n{string.Join("\n", failures.Take(2))}");
    }

    private static string I(Random random) => Invariant[random.Next(Invariant.Length)];

    private static string V(Random random) => Variant[random.Next(Variant.Length)];

    private static string Insert(Random random)
    {
        int trips = new[] { 0, 1, 3 }[random.Next(3)];
        string skip = random.Next(4) == 0 ? "        if (r == 1) continue;\n" : string.Empty;
        string branch = random.Next(2) == 0
            ? $"        if (acc > x2)\n        {{\n            for (int c = 0; c < n; c++) acc += 0.1 * {I(random)};\n        }}\n"
            : string.Empty;
        string offset = random.Next(3) == 0 ? $"        for (int c = 1; c < n; c++) acc += 0.05 * {I(random)} * {V(random)};\n" : string.Empty;
        string write = random.Next(3) == 0 ? "        hw[r % n] += 0.01 * acc;\n" : string.Empty;
        return $$"""
                double hs = 0;
                double[] hw = new double[n];
                for (int c = 0; c < n; c++) hw[c] = w[c] * 0.5 + x0;
                for (int r = 0; r < {{trips}}; r++)
                {
                    double acc = 0.1 * r;
            {{skip}}        for (int c = 0; c < n; c++)
                    {
                        double term = {{I(random)}} * {{V(random)}};
                        acc += term + {{I(random)}};
                    }

            {{branch}}{{offset}}{{write}}        hs += acc * 0.1;
                }

            """;
    }

    private static string Return(Random random, string value)
        => random.Next(2) == 0
        ? $"return {value} + hs;"
        // The outer loop last, summing into the result: the reverse fuses it (each iteration's reverse right
        // after it), and the hoisted values' reverse runs after the whole loop. A block, as a return may be a
        // branch's only statement.
        : $$"""
        {
            double hres = {{value}} + hs;
            for (int r = 0; r < {{new[] { 0, 1, 3 }[random.Next(3)]}}; r++)
            {
                for (int c = 0; c < n; c++) hres += {{I(random)}} * {{V(random).Replace("acc", "hres", StringComparison.Ordinal)}};
            }

            return hres;
        }
        """;
}
