using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for vector-valued methods: the random programs of <see cref="RandomProgramTests"/>
/// rewritten to write 2 or 6 outputs (every <c>return e;</c> becomes writes of e and of functions of it and earlier
/// outputs, then <c>return;</c>), their Jacobians (taken by rows or by columns, whichever the shape picks) checked against
/// central differences and every row's VJP and every column's JVP against them. 90 programs per run.
/// </summary>
public partial class RandomVectorFunctionTests(ITestOutputHelper output)
{
    private const int ProgramsPerBatch = 30;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 3).Select(i => new object[] { i });

    [GeneratedRegex(@"return (.+);")]
    private static partial Regex Return();

    [Theory]
    [MemberData(nameof(Batches))]
    public void RandomVectorFunctionsHaveCorrectJacobians(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 2000 + batch;
        var generator = new RandomProgramGenerator(seed);
        var random = new Random(seed);
        var programs = new List<(string Name, string Source, int Outputs)>();
        string prefix = "U" + batch;
        string helpers = generator.Helpers(prefix, 3);
        for (int i = 0; i < ProgramsPerBatch; i++)
        {
            string name = $"{prefix}P{i}";
            int outputs = random.Next(2) == 0 ? 2 : 6;
            string writes = outputs == 2 ? "r[0] = $1; r[1] = Math.Sin(r[0]) * x1 + r[1];" : "r[0] = $1; r[1] = r[0] * r[0] + r[5]; r[2] = x0 * r[1]; r[3] = Math.Exp(0.1 * r[0]) + r[2]; r[4] = r[4] - x2; r[5] = 2 * r[3];";
            string program = Return().Replace(generator.Program(name, prefix, 3), "{ " + writes + " return; }")
                .Replace($"public static double {name}(double x0, double x1, double x2, double[] w)", $"public static void {name}(double x0, double x1, double x2, double[] w, [Output] Span<double> r)", StringComparison.Ordinal);
            // An output written before anything returns, read back by the writes above.
            program = program.Replace("    int n = w.Length;\n", "    int n = w.Length;\n    r[" + (outputs - 1) + "] = x0 * x2;\n", StringComparison.Ordinal);
            programs.Add((name, program, outputs));
        }

        string source = "using System; using Autodiff;\npublic static partial class RandomVector" + batch + "\n{\n" + helpers
            + string.Join("\n", programs.Select(p => p.Source + Wrappers(p.Name))) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomVector" + batch)!;

        var failures = new List<string>();
        int byColumns = 0;
        foreach ((string name, string program, int outputs) in programs)
        {
            double[] p = { Next(random), Next(random), Next(random) };
            double[] w = Enumerable.Range(0, random.Next(1, 5)).Select(_ => Next(random)).ToArray();
            byColumns += 3 + w.Length < outputs ? 1 : 0;
            if (Check(type, name, p, w, outputs) is { } failure)
            {
                // A difference that straddles a branch switch or a kink is not a bug: a real error fails nearby too.
                double[] p2 = p.Select(v => v + 1e-3 * Next(random)).ToArray();
                if (Check(type, name, p2, w, outputs) is { } second)
                {
                    failures.Add($"seed {seed}: {failure}\n{second}\n{program}");
                }
            }
        }

        output.WriteLine($"seed {seed}: {byColumns} Jacobians by columns (JVPs), {ProgramsPerBatch - byColumns} by rows (VJPs)");
        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ProgramsPerBatch} random vector functions (seed {seed}) have wrong Jacobians:\n{string.Join("\n", failures.Take(3))}");
    }

    private static string Wrappers(string name) => $$"""

        public static void {{name}}__Value(double[] p, double[] w, double[] r) => {{name}}(p[0], p[1], p[2], w, r);
        public static void {{name}}__Jacobian(double[] p, double[] w, double[] r, double[,] j) => {{name}}Jacobian(p[0], p[1], p[2], w, r, j);
        public static void {{name}}__Vjp(double[] p, double[] w, double[] r, double[] seed, double[] dp, double[] dw) => {{name}}Vjp(p[0], p[1], p[2], w, r, seed, out dp[0], out dp[1], out dp[2], dw);
        public static void {{name}}__Jvp(double[] p, double[] w, double[] r, double[] tp, double[] tw, double[] tr) => {{name}}Jvp(p[0], p[1], p[2], w, r, tp[0], tp[1], tp[2], tw, tr);
        """;

    private static string? Check(Type type, string name, double[] p, double[] w, int m)
    {
        var failures = new System.Text.StringBuilder();
        int n = p.Length + w.Length;
        var j = new double[m, n];
        var values = new double[m];
        Invoke(type, name + "__Jacobian", p, w, values, j);
        var expected = new double[m];
        Invoke(type, name + "__Value", p, w, expected);
        for (int i = 0; i < m; i++)
        {
            Compare(failures, $"r[{i}] from the Jacobian", values[i], expected[i], 1e-12);
        }

        for (int k = 0; k < n; k++)
        {
            double[] pp = (double[])p.Clone(), pm = (double[])p.Clone(), wp = (double[])w.Clone(), wm = (double[])w.Clone();
            double at = k < p.Length ? p[k] : w[k - p.Length];
            double h = 1e-5 * Math.Max(1, Math.Abs(at));
            if (k < p.Length)
            {
                pp[k] += h;
                pm[k] -= h;
            }
            else
            {
                wp[k - p.Length] += h;
                wm[k - p.Length] -= h;
            }

            var fp = new double[m];
            var fm = new double[m];
            Invoke(type, name + "__Value", pp, wp, fp);
            Invoke(type, name + "__Value", pm, wm, fm);
            for (int i = 0; i < m; i++)
            {
                Compare(failures, $"J[{i},{k}]", j[i, k], (fp[i] - fm[i]) / (2 * h), 1e-5);
            }

            var tp = new double[p.Length];
            var tw = new double[w.Length];
            if (k < p.Length)
            {
                tp[k] = 1;
            }
            else
            {
                tw[k - p.Length] = 1;
            }

            var column = new double[m];
            Invoke(type, name + "__Jvp", p, w, new double[m], tp, tw, column);
            for (int i = 0; i < m; i++)
            {
                Compare(failures, $"JVP column {k} row {i}", column[i], j[i, k], 1e-9);
            }
        }

        for (int i = 0; i < m; i++)
        {
            var seed = new double[m];
            seed[i] = 1;
            var dp = new double[p.Length];
            var dw = new double[w.Length];
            Invoke(type, name + "__Vjp", p, w, new double[m], seed, dp, dw);
            double[] row = dp.Concat(dw).ToArray();
            for (int k = 0; k < n; k++)
            {
                Compare(failures, $"VJP row {i} column {k}", row[k], j[i, k], 1e-9);
            }
        }

        return failures.Length == 0 ? null : $"{name} at p=[{string.Join(", ", p)}], w=[{string.Join(", ", w)}]:\n{failures}";
    }

    private static void Compare(System.Text.StringBuilder failures, string what, double actual, double expected, double tolerance)
        => GradientChecker.Compare(failures, what, actual, expected, tolerance);

    private static void Invoke(Type type, string method, params object[] args) => GradientChecker.Invoke(type, method, args);

    private static double Next(Random random) => RandomProgramTests.Next(random);
}
