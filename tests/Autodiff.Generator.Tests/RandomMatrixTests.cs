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
