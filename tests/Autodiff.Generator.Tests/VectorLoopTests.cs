using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The generator's vector loops: random accumulation loops of straight-line arithmetic on neighbouring elements, each
/// generated twice (vectorised and with <c>Vectorize = false</c>) and compared at every length around the vector
/// widths; the scalar twin is itself checked against finite differences by the random program tests. Plus the
/// cases the vector loop must leave to the scalar one (indices out of range) and compilations without lane types.
/// </summary>
public class VectorLoopTests(ITestOutputHelper output)
{
    private static readonly int[] Lengths = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 19, 24, 31, 32, 33, 40, 47, 64, 100 };

    public static IEnumerable<object[]> Batches() => new[]
    {
        new object[] { 0, "double", "final" }, new object[] { 1, "double", "final" }, new object[] { 2, "float", "final" },
        new object[] { 3, "double", "middle" }, new object[] { 4, "float", "middle" },
        new object[] { 5, "double", "rows" }, new object[] { 6, "float", "rows" },
    };

    /// <param name="shape">"final": one final loop (<see cref="LoopProgram"/>); "middle": two loops with scalar work between
    /// them and after (<see cref="MiddleProgram"/>); "rows": a loop over a matrix row's elements (<see cref="RowsProgram"/>).</param>
    [Theory]
    [MemberData(nameof(Batches))]
    public void VectorLoopsAgreeWithScalarLoops(int batch, string type, string shape)
    {
        bool middle = shape == "middle";
        int seed = RandomProgramTests.BaseSeed() + 100 + batch;
        var random = new Random(seed);
        const int Programs = 40;
        var source = new StringBuilder("using System; using Autodiff;\npublic static partial class Lanes" + batch + "\n{\n");
        var bodies = new List<string>();
        for (int k = 0; k < Programs; k++)
        {
            string body = shape switch { "middle" => MiddleProgram(random, type), "rows" => RowsProgram(random, type), _ => LoopProgram(random, type) };
            bodies.Add(body);
            source.Append(Function($"V{k}", body, type, vectorize: true)).Append(Function($"S{k}", body, type, vectorize: false));
        }

        source.Append("}\n");
        GeneratorHarness.Result result = GeneratorHarness.Run(source.ToString());
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));

        // every one of these loops is of the vectorisable form: the rewriter must not have given up on any (in the middle
        // programs, on the forward or the reverse part of either loop; in the row programs, on the inner loop's two parts,
        // or on its one lane method, forward and reverse of each iteration, when it is the last of a fused iteration). A
        // loop local calling Exp or Log is kept on the tape in a loop that is not fused, and that loop stays scalar; an Exp
        // or Log inside an expression is computed again in the reverse part's lanes.
        var scalar = Enumerable.Range(0, Programs).Where(k => !result.Source($"Lanes{batch}.V{k}.").Contains($"__V{k}Lanes{(middle ? "4" : shape == "rows" && !bodies[k].Contains("return s;", StringComparison.Ordinal) ? "2" : string.Empty)}_", StringComparison.Ordinal)
            && !(middle && bodies[k].Split('\n').Any(line => line.TrimStart().StartsWith(type + " a", StringComparison.Ordinal)
                && (line.Contains(".Exp(", StringComparison.Ordinal) || line.Contains(".Log(", StringComparison.Ordinal))))).ToList();
        Assert.DoesNotContain(Enumerable.Range(0, Programs), k => result.Source($"Lanes{batch}.S{k}.").Contains("Lanes_", StringComparison.Ordinal));
        Assert.True(scalar.Count == 0, $"{scalar.Count} of {Programs} loops stayed scalar, e.g.\n{(scalar.Count > 0 ? bodies[scalar[0]] + "\n" + result.Source($"Lanes{batch}.V{scalar[0]}.") : string.Empty)}");

        Type lanes = GeneratorHarness.Load(result).GetType("Lanes" + batch)!;
        double tolerance = type == "float" ? 2e-4 : 1e-10;
        var failures = new List<string>();
        for (int k = 0; k < Programs; k++)
        {
            foreach (int n in Lengths)
            {
                double[] x = Point(random, n), y = Point(random, n);
                double p = random.NextDouble() - 0.5, q = random.NextDouble() - 0.5;
                foreach (double seedValue in new[] { 1.0, -0.75 })
                {
                    (double value, double[] gradient) v = Run(lanes, $"V{k}", x, y, p, q, seedValue);
                    (double value, double[] gradient) s = Run(lanes, $"S{k}", x, y, p, q, seedValue);
                    double scale = 1 + Math.Abs(s.value) + s.gradient.Sum(Math.Abs) / Math.Max(1, s.gradient.Length);
                    double worst = Math.Abs(v.value - s.value) / scale;
                    for (int j = 0; j < s.gradient.Length; j++)
                    {
                        worst = Math.Max(worst, Math.Abs(v.gradient[j] - s.gradient[j]) / (1 + Math.Abs(s.gradient[j]) + scale * (type == "float" ? 1 : 0)));
                    }

                    if (!(worst <= tolerance))
                    {
                        failures.Add($"seed {seed}, program {k}, n = {n}, seed value {seedValue}: relative difference {worst:E2}\n{bodies[k]}");
                    }
                }
            }
        }

        foreach (string failure in failures.Take(5))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} mismatches, first: {failures.FirstOrDefault()}");
    }

    [Fact]
    public void AnIndexTheScalarLoopFindsOutOfRangeStillThrows()
    {
        // The bound n is the caller's: past x.Length - 1 the scalar loop throws, and the vector loop must stop before it.
        string source = """
            using System; using Autodiff;
            public static partial class Bounds
            {
                [Differentiable]
                public static double Shifted(double[] x, int n)
                {
                    double s = 0;
                    for (int i = 0; i < n; i++)
                    {
                        s += x[i + 1] * x[i];
                    }

                    return s;
                }

                [Differentiable]
                public static double FromMinusOne(double[] x)
                {
                    double s = 0;
                    for (int i = -1; i < x.Length; i++)
                    {
                        s += x[i] * x[i];
                    }

                    return s;
                }

                [Differentiable]
                public static double Rows(double[] x, int m)
                {
                    double s = 0;
                    for (int r = 0; r < 2; r++)
                    {
                        for (int j = 0; j < m; j++)
                        {
                            s += x[r * m + j] * x[r * m + j];
                        }
                    }

                    return s * s;
                }

                public static double RunShifted(double[] x, int n, double[] dx) => ShiftedGradient(x, n, dx);

                public static double RunRows(double[] x, int m, double[] dx) => RowsGradient(x, m, dx);

                public static double RunFromMinusOne(double[] x, double[] dx) => FromMinusOneGradient(x, dx);
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        Assert.Contains("__ShiftedLanes_", result.Source("Bounds.Shifted."), StringComparison.Ordinal);
        Type bounds = GeneratorHarness.Load(result).GetType("Bounds")!;
        double[] x = Enumerable.Range(0, 40).Select(i => 0.01 * i).ToArray();

        // in range: the same as the formula
        var dx = new double[40];
        double value = (double)bounds.GetMethod("RunShifted")!.Invoke(null, new object[] { x, 39, dx })!;
        Assert.Equal(Enumerable.Range(0, 39).Sum(i => x[i + 1] * x[i]), value, 12);
        Assert.Equal(x[1], dx[0], 12);
        Assert.Equal(x[38], dx[39], 12);
        Assert.Equal(x[10] + x[12], dx[11], 12);

        // out of range: the scalar loop's exception, whatever the vector loop did before it
        var e = Assert.Throws<TargetInvocationException>(() => bounds.GetMethod("RunShifted")!.Invoke(null, new object[] { x, 40, new double[40] }));
        Assert.IsType<IndexOutOfRangeException>(e.InnerException);
        e = Assert.Throws<TargetInvocationException>(() => bounds.GetMethod("RunFromMinusOne")!.Invoke(null, new object[] { x, new double[40] }));
        Assert.IsType<IndexOutOfRangeException>(e.InnerException);

        // a row from a base (r * m): in range, the formula; a row running past the array, the scalar loop's exception
        Assert.Contains("__RowsLanes2_", result.Source("Bounds.Rows."), StringComparison.Ordinal);
        dx = new double[40];
        double squares = x.Sum(v => v * v);
        value = (double)bounds.GetMethod("RunRows")!.Invoke(null, new object[] { x, 20, dx })!;
        Assert.Equal(squares * squares, value, 10);
        Assert.Equal(4 * squares * x[33], dx[33], 10);
        e = Assert.Throws<TargetInvocationException>(() => bounds.GetMethod("RunRows")!.Invoke(null, new object[] { x, 21, new double[40] }));
        Assert.IsType<IndexOutOfRangeException>(e.InnerException);
    }

    [Fact]
    public void ExponentialsAreComputedAgainInLanesOnlyWhereBothPartsAreVectorLoops()
    {
        // Recompute or store: an Exp the reverse needs is computed again in a vector loop's lanes (no tape), but a loop
        // whose reverse cannot run forwards (its bound n may change, so the trip count is recorded) keeps storing it.
        string source = """
            using System; using Autodiff;
            public static partial class Stores
            {
                [Differentiable]
                public static double Lanes(double[] x)
                {
                    double s = 0;
                    for (int i = 0; i < x.Length; i++)
                    {
                        s += Math.Exp(x[i] * 0.5);
                    }

                    return Math.Log(s);
                }

                [Differentiable]
                public static double Recorded(double[] x)
                {
                    int n = x.Length;
                    if (x[0] > 100)
                    {
                        n = 1;
                    }

                    double s = 0;
                    for (int i = 0; i < n; i++)
                    {
                        s += Math.Exp(x[i] * 0.5);
                    }

                    return Math.Log(s);
                }

                public static double RunLanes(double[] x, double[] dx) => LanesGradient(x, dx);

                public static double RunRecorded(double[] x, double[] dx) => RecordedGradient(x, dx);
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        string lanes = result.Source("Stores.Lanes."), recorded = result.Source("Stores.Recorded.");
        Assert.Contains("__LanesLanes2_", lanes, StringComparison.Ordinal);
        Assert.DoesNotContain(".Push(", lanes, StringComparison.Ordinal);
        Assert.DoesNotContain("__RecordedLanes2_", recorded, StringComparison.Ordinal);
        Assert.Contains(".Push(", recorded, StringComparison.Ordinal);

        Type type = GeneratorHarness.Load(result).GetType("Stores")!;
        foreach (string name in new[] { "RunLanes", "RunRecorded" })
        {
            foreach (int n in new[] { 1, 3, 8, 13, 40 })
            {
                double[] x = Enumerable.Range(0, n).Select(i => Math.Sin(i + 1.0)).ToArray();
                var dx = new double[n];
                double value = (double)type.GetMethod(name)!.Invoke(null, new object[] { x, dx })!;
                double total = x.Sum(v => Math.Exp(v * 0.5));
                Assert.Equal(Math.Log(total), value, 12);
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(0.5 * Math.Exp(x[i] * 0.5) / total, dx[i], 12);
                }
            }
        }
    }

    [Fact]
    public void OptingOutOrAnOlderLanguageKeepsTheScalarLoop()
    {
        string rosenbrock = """
            using System; using Autodiff;
            public static partial class Plain
            {
                [Differentiable]
                public static double R(double[] x)
                {
                    double s = 0;
                    for (int i = 0; i < x.Length - 1; i++)
                    {
                        double b = x[i + 1] - x[i] * x[i];
                        s += (1 - x[i]) * (1 - x[i]) + 100 * b * b;
                    }

                    return s;
                }
            }
            """;

        // C# 10 has no static abstract members: no lane types, no vector loop, and the scalar code compiles
        var csharp10 = new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10);
        var compilation = GeneratorHarness.CreateCompilation().AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(rosenbrock, csharp10));
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(GeneratorHarness.Generators, parseOptions: csharp10)
            .RunGeneratorsAndUpdateCompilation(compilation, out Microsoft.CodeAnalysis.Compilation output, out _);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        var sources = driver.GetRunResult().Results.SelectMany(r => r.GeneratedSources).ToList();
        Assert.DoesNotContain(sources, s => s.HintName == "Autodiff.LaneTypes.g.cs");
        Assert.DoesNotContain("Lanes_", sources.Single(s => s.HintName.Contains("Plain.R.", StringComparison.Ordinal)).SourceText.ToString(), StringComparison.Ordinal);

        GeneratorHarness.Result result;
        // Vectorize = false: the same
        result = GeneratorHarness.Run(rosenbrock.Replace("[Differentiable]", "[Differentiable(Vectorize = false)]", StringComparison.Ordinal));
        Assert.Empty(result.CompilerErrors());
        Assert.DoesNotContain("Lanes_", result.Source("Plain.R."), StringComparison.Ordinal);

        // and by default it is vectorised
        result = GeneratorHarness.Run(rosenbrock);
        Assert.Contains("__RLanes_", result.Source("Plain.R."), StringComparison.Ordinal);
    }

    [Fact]
    public void LoopsOutsideTheVectorFormStayScalar()
    {
        // a branch, a loop-carried value, a call, an int conversion, a write to an array: each keeps the scalar loop
        string[] bodies =
        {
            "double s = 0; for (int i = 0; i < x.Length; i++) { if (x[i] > 0) s += x[i]; } return s;",
            "double s = 0; double prev = 0; for (int i = 0; i < x.Length; i++) { s += x[i] * prev; prev = x[i]; } return s;",
            "double s = 0; for (int i = 0; i < x.Length; i++) { s += Math.Tanh(x[i]); } return s;",
            "double s = 0; for (int i = 0; i < x.Length; i++) { s += x[i] * i; } return s;",
            "double s = 0; for (int i = 0; i < x.Length; i += 2) { s += x[i]; } return s;",
            "double s = 0; for (int i = 0; i < x.Length; i++) { s += x[x.Length - 1 - i] * x[i]; } return s;",
        };
        string source = "using System; using Autodiff;\npublic static partial class Scalar\n{\n"
            + string.Join("\n", bodies.Select((b, k) => $"[Differentiable] public static double F{k}(double[] x) {{ {b} }}")) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        for (int k = 0; k < bodies.Length; k++)
        {
            Assert.DoesNotContain("Lanes_", result.Source($"Scalar.F{k}."), StringComparison.Ordinal);
        }
    }

    private static (double Value, double[] Gradient) Run(Type type, string name, double[] x, double[] y, double p, double q, double seed)
    {
        var dx = new double[x.Length];
        var dy = new double[y.Length];
        var dp = new double[1];
        double value = (double)type.GetMethod(name + "Run")!.Invoke(null, new object[] { x, y, p, q, seed, dx, dy, dp })!;
        return (value, dx.Concat(dy).Concat(dp).ToArray());
    }

    private static double[] Point(Random random, int n) => Enumerable.Range(0, n).Select(_ => Math.Round(random.NextDouble() * 2 - 1, 3)).ToArray();

    // F(x, y, p, [NoDerivative] q) with the loop body, and a runner with arrays (reflection cannot pass spans).
    private static string Function(string name, string body, string type, bool vectorize)
    {
        string attribute = vectorize ? "[Differentiable]" : "[Differentiable(Vectorize = false)]";
        string Convert(string array) => type == "float" ? $"Array.ConvertAll({array}, v => (float)v)" : array;
        return $$"""
                {{attribute}}
                public static {{type}} {{name}}({{type}}[] x, {{type}}[] y, {{type}} p, [NoDerivative] {{type}} q)
                {
                    {{body}}
                }

                public static double {{name}}Run(double[] xd, double[] yd, double pd, double qd, double seed, double[] dxd, double[] dyd, double[] dpd)
                {
                    {{type}}[] x = {{Convert("xd")}}, y = {{Convert("yd")}};
                    var dx = new {{type}}[x.Length];
                    var dy = new {{type}}[y.Length];
                    {{type}} value = {{name}}Vjp(x, y, ({{type}})pd, ({{type}})qd, ({{type}})seed, dx, dy, out {{type}} dp);
                    for (int i = 0; i < dx.Length; i++) { dxd[i] = dx[i]; dyd[i] = dy[i]; }
                    dpd[0] = dp;
                    if (seed == 1.0)
                    {
                        var gx = new {{type}}[x.Length];
                        var gy = new {{type}}[y.Length];
                        {{type}} g = {{name}}Gradient(x, y, ({{type}})pd, ({{type}})qd, gx, gy, out {{type}} gp);
                        if (g != value || gp != dp || !gx.AsSpan().SequenceEqual(dx) || !gy.AsSpan().SequenceEqual(dy)) throw new InvalidOperationException("Gradient and Vjp(seed 1) differ");
                    }

                    return value;
                }

            """;
    }

    // for (i = lo; i < x.Length - hi; i++) { locals; s += ...; }: offsets in [-lo, hi], both arrays, p and q.
    private static string LoopProgram(Random random, string type)
        => $"{type} s = 0;\n" + Loop(random, type, "s", "i", new List<string>()) + "\n        return s;";

    // Reductions in the middle: a loop, scalar work on its sum, a second loop reading that, and a result that is not the
    // last loop's sum alone, so no loop is the fused final one: each loop's forward and reverse are vector loops of their own.
    private static string MiddleProgram(Random random, string type)
    {
        string math = type == "float" ? "MathF" : "Math";
        string one = type == "float" ? "1f" : "1.0";
        var body = new StringBuilder($"{type} s = 0;\n");
        body.Append(Loop(random, type, "s", "i", new List<string>()));
        body.Append(random.Next(2) == 0
            ? $"        {type} m = {math}.Sqrt({one} + s * s) * p;\n"
            : $"        {type} m = s / ({one} + q * q) - p;\n");
        body.Append($"        {type} r = 0;\n");
        body.Append(Loop(random, type, "r", "j", new List<string> { "m" }));
        body.Append(random.Next(2) == 0 ? "        return r * m + s;" : "        return r * r - m;");
        return body.ToString();
    }

    // Matrix rows: x read as three rows of m (x[r * m + j + c], one offset a program, so that the row's adjoint is one
    // block), y and the scalars as elsewhere, in a loop over the columns inside a loop over the rows. The result is the
    // sum (the loop over rows is the fused final loop, whose iterations run the inner loop forward and then in reverse)
    // or not (an ordinary loop, replayed backwards): either way the inner loop's forward and reverse are vector loops.
    private static string RowsProgram(Random random, string type)
    {
        string math = type == "float" ? "MathF" : "Math";
        int lo = random.Next(0, 3), hi = random.Next(0, 3);
        int c = random.Next(-lo, hi + 1);
        string row = c == 0 ? "x[r * m + j]" : c > 0 ? $"x[r * m + j + {c}]" : $"x[r * m + j - {-c}]";
        string y = $"y[j{(random.Next(2) == 0 ? string.Empty : " + " + random.Next(0, hi + 1))}]";
        string term = random.Next(4) switch
        {
            0 => $"{row} * {y}",
            1 => $"{row} * {row} * p - {y} * q",
            2 => $"{math}.Sqrt(1 + {row} * {row}) * ({y} + p)",
            _ => $"({row} - {y}) * ({row} + p) / (1.5{(type == "float" ? "f" : string.Empty)} + q * q)",
        };
        return $$"""
            int m = x.Length / 3;
                    {{type}} s = 0;
                    for (int r = 0; r < 3; r++)
                    {
                        for (int j = {{lo}}; j < m - {{hi}}; j++)
                        {
                            s += {{term}};
                        }
                    }

                    return {{(random.Next(2) == 0 ? "s * s + p" : "s")}};
            """;
    }

    // One accumulation loop over counter from lo to x.Length - hi, adding to sum; the body may read the given scalars.
    private static string Loop(Random random, string type, string sum, string counter, List<string> scalars)
    {
        int lo = random.Next(0, 3), hi = random.Next(0, 4);
        string math = type == "float" ? "MathF" : "Math";
        var locals = new List<string>();
        string At(int offset) => offset == 0 ? counter : offset > 0 ? $"{counter} + {offset}" : $"{counter} - {-offset}";
        string Leaf()
        {
            int pick = random.Next(locals.Count > 0 ? 7 : 6);
            return pick switch
            {
                0 or 1 => $"x[{At(random.Next(-lo, hi + 1))}]",
                2 => $"y[{At(random.Next(-lo, hi + 1))}]",
                3 => random.Next(2) == 0 ? "p" : "q",
                4 => (Math.Round(random.NextDouble() * 3 - 1.5, 2) + (type == "float" ? "f" : string.Empty)).ToString(CultureInfo.InvariantCulture),
                5 => scalars.Count > 0 ? scalars[random.Next(scalars.Count)] : "p",
                _ => locals[random.Next(locals.Count)],
            };
        }

        string Expr(int depth)
        {
            if (depth == 0 || random.Next(4) == 0)
            {
                return Leaf();
            }

            string a = Expr(depth - 1), b = Expr(depth - 1);
            return random.Next(9) switch
            {
                0 or 1 => $"({a} + {b})",
                2 => $"({a} - {b})",
                3 or 4 => $"({a} * {b})",
                5 => $"({a} / (1.5{(type == "float" ? "f" : string.Empty)} + {b} * {b}))",
                6 => $"{math}.Sqrt(1 + {a} * {a})",
                7 => $"{math}.Exp(0.3{(type == "float" ? "f" : string.Empty)} * {a})",
                _ => $"-{math}.Log(1.25{(type == "float" ? "f" : string.Empty)} + {a} * {a})",
            };
        }

        var body = new StringBuilder($"        for (int {counter} = {lo}; {counter} < x.Length - {hi}; {counter}++)\n        {{\n");
        int count = random.Next(0, 3);
        for (int k = 0; k < count; k++)
        {
            string local = $"a{counter}{k}";
            body.Append($"            {type} {local} = {Expr(2)};\n");
            locals.Add(local);
        }

        // the sum always depends on the arrays (else it is not active and there is no loop to vectorise)
        body.Append($"            {sum} {(random.Next(4) == 0 ? "-=" : "+=")} {Expr(3)} * x[{At(random.Next(-lo, hi + 1))}];\n");
        if (random.Next(3) == 0)
        {
            body.Append($"            {sum} += {Expr(2)};\n");
        }

        body.Append("        }\n");
        return body.ToString();
    }

}
