using Xunit;
using Xunit.Abstractions;
using P = Autodiff.Generator.Tests.ShapeChecker.Parameter;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for two-dimensional arrays: the random programs of <see cref="RandomProgramTests"/>
/// build a local <c>double[,]</c> from their array and scalars, pass it through random matrix helpers (new shapes,
/// chained) and read the results; and each random reducer, a public method with a <c>double[,]</c> parameter, is checked
/// on its own through its <c>T[,]</c> derivatives (<see cref="ShapeChecker"/>). Gradients, JVPs and VJPs against central
/// differences. 60 programs and 6 reducers per run.
/// </summary>
public class RandomMatrixTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsWithMatricesHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 7000 + batch;
        string prefix = "X" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers(prefix, 3) + generator.MatrixHelpers(prefix, 3, 3);
        string Q(Random random) => $"{prefix}Q{random.Next(3)}";
        string S(Random random) => $"{prefix}S{random.Next(3)}";
        RandomProgramTests.CheckPrograms(output, "with matrices", "RandomMatrices" + batch, seed, generator, prefix, helpers, 30,
            random => $$"""
                    var mm = new double[2, n];
                    for (int r = 0; r < 2; r++)
                        for (int c = 0; c < n; c++)
                            mm[r, c] = w[c] * (r + 1) + (r == 0 ? x0 : x1);
                    double[,] mq1 = {{Q(random)}}(mm, x1);
                    double[,] mq2 = {{Q(random)}}({{Q(random)}}(mq1, x2), x0 * mm[1, 0]);
                    double ms = {{S(random)}}(mq2, x1) + mq1[mq1.GetLength(0) - 1, mq1.GetLength(1) - 1];
                    for (int t = 0; t < 2; t++)
                    {
                        double[,] mt = {{Q(random)}}(mq1, x2 + t);
                        ms += mt[t % mt.GetLength(0), 0] * {{S(random)}}(mt, x0);
                    }

                """,
            (_, value) => $"return {value} + ms + mq2[0, 0] * mq1[0, mq1.GetLength(1) - 1];");
    }

    [Fact]
    public void ReducersOverJaggedParametersHaveCorrectDerivatives()
    {
        int seed = RandomProgramTests.BaseSeed() + 7200;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers("Z", 3) + generator.MatrixHelpers("Z", 6, 3);
        var parameters = new[] { new P("double[][]"), new P("double") };
        string wrappers = string.Concat(Enumerable.Range(0, 6).Select(i => ShapeChecker.Wrappers("ZJ" + i, parameters)));
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class RandomJagged\n{\n" + helpers + wrappers + "}\n");
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomJagged")!;
        var random = new Random(seed);
        var failures = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            double[][] rows = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => Enumerable.Range(0, 1 + random.Next(4)).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
            if (ShapeChecker.Check(type, "ZJ" + i, parameters, new object[] { rows, random.NextDouble() * 2 - 1 }) is { } failure)
            {
                output.WriteLine(failure);
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 6 jagged reducers (seed {seed}) have wrong derivatives:\n{helpers}\n{string.Join("\n", failures.Take(2))}");
    }

    /// <summary>
    /// Vector-valued methods over a jagged array, a matrix and a scalar, built from the random reducers: their Jacobians
    /// (by rows with 3 results, by columns over lanes with 16) against central differences of the method, and their
    /// VJPs against seedᵀ J, through the public derivatives in those shapes.
    /// </summary>
    [Fact]
    public void VectorValuedMethodsOverJaggedAndMatrixParametersHaveCorrectJacobians()
    {
        int seed = RandomProgramTests.BaseSeed() + 7300;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers("V", 3) + generator.MatrixHelpers("V", 4, 3);
        var methods = new System.Text.StringBuilder();
        for (int i = 0; i < 4; i++)
        {
            methods.AppendLine($$"""
                [Differentiable]
                public static void R{{i}}(double[][] rows, double[,] m, double a, [Output] Span<double> r)
                {
                    r[0] = VJ{{i}}(rows, a);
                    r[1] = VS{{i}}(m, a) * r[0];
                    r[2] = VJ{{(i + 1) % 4}}(rows, a * a) + m[0, m.GetLength(1) - 1];
                    for (int k = 3; k < r.Length; k++) r[k] = r[k % 3] * (k + 1) + a * m[k % m.GetLength(0), 0];
                }

                public static void R{{i}}Values(double[] p, double[] r) => R{{i}}(Rows(p), Matrix(p), p[^1], r);
                public static void R{{i}}JacobianA(double[] p, double[] r, double[,] j) => R{{i}}Jacobian(Rows(p), Matrix(p), p[^1], r, j);
                public static double[] R{{i}}VjpA(double[] p, double[] seed)
                {
                    double[][] drows = { new double[2], new double[3], new double[1] };
                    var dm = new double[2, 3];
                    R{{i}}Vjp(Rows(p), Matrix(p), p[^1], new double[seed.Length], seed, drows, dm, out double da);
                    return drows.SelectMany(x => x).Concat(dm.Cast<double>()).Append(da).ToArray();
                }
                """);
        }

        const string Shapes = """
            static double[][] Rows(double[] p) => new[] { p[0..2], p[2..5], p[5..6] };
            static double[,] Matrix(double[] p) { var m = new double[2, 3]; for (int k = 0; k < 6; k++) m[k / 3, k % 3] = p[6 + k]; return m; }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using System.Linq; using Autodiff;\npublic static partial class RandomVectorFlat\n{\n" + helpers + methods + Shapes + "}\n");
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomVectorFlat")!;
        var random = new Random(seed);
        var failures = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            double[] p = Enumerable.Range(0, 13).Select(_ => random.NextDouble() * 2 - 1).ToArray();
            foreach (int m in new[] { 3, 16 })
            {
                double[] Values(double[] q)
                {
                    var r = new double[m];
                    GradientChecker.Invoke(type, $"R{i}Values", q, r);
                    return r;
                }

                var jacobian = new double[m, 13];
                GradientChecker.Invoke(type, $"R{i}JacobianA", p, new double[m], jacobian);
                double[] seedVector = Enumerable.Range(0, m).Select(k => Math.Cos(k + 0.5)).ToArray();
                double[] vjp = (double[])GradientChecker.Invoke(type, $"R{i}VjpA", p, seedVector)!;
                for (int column = 0; column < 13; column++)
                {
                    const double h = 1e-5;
                    double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
                    plus[column] += h;
                    minus[column] -= h;
                    double[] up = Values(plus), down = Values(minus);
                    double expected = 0;
                    for (int row = 0; row < m; row++)
                    {
                        double difference = (up[row] - down[row]) / (2 * h);
                        expected += seedVector[row] * jacobian[row, column];
                        if (Math.Abs(difference - jacobian[row, column]) > 1e-5 * (1 + Math.Abs(difference)))
                        {
                            failures.Add($"R{i} (m = {m}): J[{row}, {column}] = {jacobian[row, column]}, central differences give {difference}");
                        }
                    }

                    if (Math.Abs(expected - vjp[column]) > 1e-9 * (1 + Math.Abs(expected)))
                    {
                        failures.Add($"R{i} (m = {m}): (seedᵀ J)[{column}] = {expected}, the VJP gives {vjp[column]}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} wrong entries in the random vector-valued methods over jagged and matrix parameters (seed {seed}):\n{helpers}\n{string.Join("\n", failures.Take(5))}");
    }

    [Fact]
    public void ReducersOverMatrixParametersHaveCorrectDerivatives()
    {
        int seed = RandomProgramTests.BaseSeed() + 7100;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers("Y", 3) + generator.MatrixHelpers("Y", 6, 3);
        var parameters = new[] { new P("double[,]"), new P("double") };
        string wrappers = string.Concat(Enumerable.Range(0, 6).Select(i => ShapeChecker.Wrappers("YS" + i, parameters)));
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class RandomReducers\n{\n" + helpers + wrappers + "}\n");
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomReducers")!;
        var random = new Random(seed);
        var failures = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            var arguments = new object[] { ShapeChecker.Matrix(random, 2 + random.Next(3), 1 + random.Next(4)), random.NextDouble() * 2 - 1 };
            if (ShapeChecker.Check(type, "YS" + i, parameters, arguments) is { } failure)
            {
                output.WriteLine(failure);
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 6 reducers (seed {seed}) have wrong derivatives:\n{helpers}\n{string.Join("\n", failures.Take(2))}");
    }
}
