using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Linear recursion run as loops (<c>Transforms/LinearRecursion</c>): each form the rewrite takes, and forms it leaves as
/// recursion, called from a method of two scalars and an array; gradients, JVPs and VJPs against central differences
/// (<see cref="GradientChecker"/>), at several depths. Then random recursive helpers of those forms, 40 a run.
/// </summary>
public class LinearRecursionTests
{
    // (name, helper, whether the derivatives run it as loops, how the method of (x, y, w) calls it)
    private static readonly (string Name, string Helper, bool Loops, string Use)[] Forms =
    {
        ("Ternary", "public static double Ternary(double x, double y, int n) => n == 0 ? y : Math.Sin(Ternary(x, y, n - 1)) * x + y;", true, "Ternary(x, y * w[0], 5)"),
        ("Mirrored", "public static double Mirrored(double x, double y, int n) => n > 0 ? x / (1.5 + Mirrored(x, y, n - 1) * Mirrored0(y)) : y; [Differentiable] public static double Mirrored0(double a) => a * a;", true, "Mirrored(x, y, 6)"),
        ("Statements", "public static double Statements(double x, double y, int n) { if (n <= 0) return x * y; double t = Math.Cos(x * n); double rest = Statements(x, y, n - 2); return t * rest + Math.Exp(-rest * rest); }", true, "Statements(x * w[1], y, 7)"),
        ("ThenArm", "public static double ThenArm(double x, double y, int n) { if (n < 9) { double rest = ThenArm(x, y, n + 1); return Math.Tanh(x + rest) * y; } return x; }", true, "ThenArm(x, y, 3)"),
        ("ElseArm", "public static double ElseArm(double x, double y, int n) { if (n == 0) { return y; } else { double r = ElseArm(y, x, n - 1); return x + 0.5 * r; } }", false, "ElseArm(x, y, 5)"),
        ("Horner", "public static double Horner(double[] c, double a, int i) => i == c.Length ? 0.0 : c[i] + a * Horner(c, a, i + 1);", true, "Horner(w, x, 0) * y"),
        ("TwoCounters", "public static double TwoCounters(double[] c, double a, int i, int j) => i >= c.Length ? a : c[i] * Math.Sin(TwoCounters(c, a, i + 1, j - 1) + j);", true, "TwoCounters(w, x * y, 1, 3)"),
        ("Shrinking", "public static double Shrinking(double x, double y, int n) => n == 0 ? y : Math.Sin(Shrinking(0.9 * x, y, n - 1)) * x;", false, "Shrinking(x, y, 6)"),
        ("Guarded", "public static double Guarded(double x, double y, int n) => n == 0 ? y : (x > 0 ? Guarded(x, y, n - 1) : y) * x;", false, "Guarded(x, y, 6)"),
        ("Twice", "public static double Twice(double x, double y, int n) => n == 0 ? y : Math.Sin(Twice(x, y, n - 1)) + Twice(x, y, n - 1) * 0.5;", false, "Twice(x, y, 4)"),
    };

    private static readonly Lazy<(GeneratorHarness.Result Result, Type Type)> Compiled = new(() =>
    {
        string source = "using System; using Autodiff;\npublic static partial class L\n{\n"
            + string.Join("\n", Forms.Select(f => "[Differentiable] " + f.Helper + $"\n[Differentiable] public static double Use{f.Name}(double x, double y, double[] w) => {f.Use} + w[2] * x;\n"
                + GradientChecker.Wrappers("Use" + f.Name, 2)))
            + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        return (result, GeneratorHarness.Load(result).GetType("L")!);
    });

    public static IEnumerable<object[]> Names() => Forms.Select(f => new object[] { f.Name });

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_form_has_correct_derivatives_and_runs_as_loops_where_it_can(string name)
    {
        var form = Forms.Single(f => f.Name == name);
        (GeneratorHarness.Result result, Type type) = Compiled.Value;
        Assert.Empty(result.CompilerErrors());
        string code = result.Source("L." + name + ".");
        string vjp = code[code.IndexOf(" " + name + "Vjp(", StringComparison.Ordinal)..];
        vjp = vjp[..vjp.IndexOf(" " + name + "Gradient(", StringComparison.Ordinal)];
        Assert.Equal(form.Loops, vjp.Contains("the recursion as a loop", StringComparison.Ordinal));
        Assert.Equal(form.Loops, !vjp.Contains("global::L." + name + "Vjp(", StringComparison.Ordinal));
        foreach (double[] p in new[] { new[] { 0.7, 0.4 }, new[] { -0.3, 1.1 }, new[] { 1.3, -0.6 } })
        {
            GradientChecker.AssertCorrect(type, "Use" + name, p, new[] { 0.6, -0.45, 0.8, 0.3, -0.2 });
        }
    }

    /// <summary>
    /// Random recursive helpers R(a, b, n) of the forms above (a ternary, statements before the return, the recursion in
    /// the then or the else arm, a step of 1 or 2, a double argument that changes in one in four), each level a random
    /// expression of a, b, n and the deeper level's value; a method calls them at random depths.
    /// </summary>
    [Fact]
    public void Random_recursive_helpers_have_correct_derivatives()
    {
        int seed = RandomProgramTests.BaseSeed() + 9100;
        var random = new Random(seed);
        var helpers = new List<string>();
        var programs = new List<(string Name, string Source)>();
        string[] levels =
        {
            "Math.Sin({r}) * a + b", "a / (1.5 + Math.Cos({r} * b))", "Math.Tanh(a * {r} + n * 0.1) + b * b", "{r} * 0.5 + Math.Exp(-a * a) * b",
            "Math.Atan({r} - a) * (1 + 0.1 * n)", "Math.Sqrt(1.0 + {r} * {r}) - a * b",
        };
        string[] bases = { "b", "a * b", "Math.Sin(a) + b", "0.5" };
        for (int i = 0; i < 40; i++)
        {
            string name = "R" + i;
            string level = levels[random.Next(levels.Length)];
            int step = random.Next(1, 3);
            string a = random.Next(4) == 0 ? "0.9 * a" : "a";
            string call = $"{name}({a}, b, n - {step})";
            string stop = "n <= 0";
            string baseCase = bases[random.Next(bases.Length)];
            helpers.Add(random.Next(4) switch
            {
                0 => $"[Differentiable] public static double {name}(double a, double b, int n) => {stop} ? {baseCase} : {level.Replace("{r}", call, StringComparison.Ordinal)};",
                1 => $"[Differentiable] public static double {name}(double a, double b, int n) => n > 0 ? {level.Replace("{r}", call, StringComparison.Ordinal)} : {baseCase};",
                2 => $"[Differentiable] public static double {name}(double a, double b, int n) {{ if ({stop}) return {baseCase}; double t = Math.Cos(a + n); double r = {call}; return t * 0.3 + {level.Replace("{r}", "r", StringComparison.Ordinal)}; }}",
                _ => $"[Differentiable] public static double {name}(double a, double b, int n) {{ if (n > 0) {{ double r = {call}; return {level.Replace("{r}", "r", StringComparison.Ordinal)}; }} return {baseCase}; }}",
            });
            string program = "P" + i;
            programs.Add((program, $"[Differentiable] public static double {program}(double x0, double x1, double x2, double[] w) => {name}(x0 * w[0], x1 + x2, {random.Next(0, 9)}) + w[w.Length - 1] * {name}(x2, x0, {random.Next(0, 5)});\n"
                + GradientChecker.Wrappers(program, 3)));
        }

        string source = "using System; using Autodiff;\npublic static partial class RandomRecursion\n{\n" + string.Join("\n", helpers) + "\n" + string.Join("\n", programs.Select(p => p.Source)) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.Contains(result.Sources, s => s.SourceText.ToString().Contains("the recursion as a loop", StringComparison.Ordinal));
        Type type = GeneratorHarness.Load(result).GetType("RandomRecursion")!;
        List<string> failures = RandomProgramTests.CheckEach(programs, random, seed, arrayLengths: 3, (name, p, w) => GradientChecker.Check(type, name, p, w));
        Assert.True(failures.Count == 0, $"{failures.Count} of 40 programs (seed {seed}) have wrong gradients:\n{string.Join("\n", failures.Take(2))}\n{string.Join("\n", helpers)}");
    }
}
