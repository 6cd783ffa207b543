using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for structs: the random programs of <see cref="RandomProgramTests"/> make
/// <c>V2</c> values (<see cref="RandomProgramGenerator.StructTypes"/>: constructor, operators, a computed property, a
/// method that changes the struct), pass them through random helpers that take and return structs, in a loop too,
/// store them in an array of structs (changed in place, read back by foreach), and read their fields; and each random public reducer over a <c>V2</c> is checked through its generated struct
/// derivatives (<c>UGradient(V2 v, double c, out V2 dv, out double dc)</c>, its VJP and JVP). Against central
/// differences. 60 programs and 6 reducers per run.
/// </summary>
public class RandomStructTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsWithStructsHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 8000 + batch;
        string prefix = "V" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = RandomProgramGenerator.StructTypes + generator.Helpers(prefix, 3) + generator.StructHelpers(prefix, 3, 3);
        string T(Random random) => $"{prefix}T{random.Next(3)}";
        string U(Random random) => $"{prefix}U{random.Next(3)}";
        RandomProgramTests.CheckPrograms(output, "with structs", "RandomStructs" + batch, seed, generator, prefix, helpers, 30,
            random => $$"""
                    var sv1 = new V2(x0, w[0]);
                    V2 sv2 = sv1 + {{T(random)}}(sv1, x1);
                    sv2.Rotate(x2);
                    double sd = sv1 * sv2 + sv2.Length + {{U(random)}}(sv2, x0);
                    for (int t = 0; t < 2; t++)
                    {
                        sv1 = {{T(random)}}(sv1, 0.1 * sd);
                        sv1.Y += t * x1;
                    }

                    var svs = new V2[n];
                    for (int t = 0; t < n; t++)
                    {
                        svs[t] = {{T(random)}}(new V2(w[t], x0), x1 * t);
                        svs[t].Rotate(0.1 * t);
                        svs[t].X += sd;
                    }

                    double sa = 0;
                    foreach (V2 e in svs) sa += e * sv2;

                """,
            (_, value) => $"return {value} + sd + sv1.X * (x1 > 0 ? sv1 : sv2).Y + 0.1 * sa;");
    }

    [Fact]
    public void ReducersOverStructParametersHaveCorrectDerivatives()
    {
        int seed = RandomProgramTests.BaseSeed() + 8100;
        var generator = new RandomProgramGenerator(seed);
        string helpers = RandomProgramGenerator.StructTypes + generator.Helpers("W", 3) + generator.StructHelpers("W", 6, 3);
        string wrappers = string.Concat(Enumerable.Range(0, 6).Select(i => $$"""
            public static double WU{{i}}__Value(double[] a) => WU{{i}}(new V2(a[0], a[1]), a[2]);
            public static double[] WU{{i}}__Grad(double[] a, double seed)
            {
                double v = WU{{i}}Vjp(new V2(a[0], a[1]), a[2], seed, out V2 dv, out double dc);
                return new[] { dv.X, dv.Y, dc, v };
            }
            public static double[] WU{{i}}__Jvp(double[] a, double[] t)
            {
                var r = WU{{i}}Jvp(new V2(a[0], a[1]), a[2], new V2(t[0], t[1]), t[2]);
                return new[] { r.Value, r.Tangent };
            }

            """));
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class RandomStructReducers\n{\n" + helpers + wrappers + "}\n");
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomStructReducers")!;
        var random = new Random(seed);
        var failures = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            double[] point = { RandomProgramTests.Next(random), RandomProgramTests.Next(random), RandomProgramTests.Next(random) };
            double value = (double)GradientChecker.Invoke(type, $"WU{i}__Value", point);
            double[] gradient = (double[])GradientChecker.Invoke(type, $"WU{i}__Grad", point, 1.0);
            double[] vjp = (double[])GradientChecker.Invoke(type, $"WU{i}__Grad", point, 2.5);
            double[] tangent = { 0.3, -0.8, 0.5 };
            double[] jvp = (double[])GradientChecker.Invoke(type, $"WU{i}__Jvp", point, tangent);
            var failure = new System.Text.StringBuilder();
            GradientChecker.Compare(failure, "value from the gradient", gradient[3], value, 1e-12);
            GradientChecker.Compare(failure, "value from the JVP", jvp[0], value, 1e-12);
            double dot = 0;
            for (int k = 0; k < 3; k++)
            {
                double h = 1e-5 * Math.Max(1, Math.Abs(point[k]));
                double[] plus = (double[])point.Clone(), minus = (double[])point.Clone();
                plus[k] += h;
                minus[k] -= h;
                double fd = ((double)GradientChecker.Invoke(type, $"WU{i}__Value", plus) - (double)GradientChecker.Invoke(type, $"WU{i}__Value", minus)) / (2 * h);
                GradientChecker.Compare(failure, $"d/d{k}", gradient[k], fd, 1e-6);
                GradientChecker.Compare(failure, $"VJP {k}", vjp[k], 2.5 * gradient[k], 1e-9);
                dot += gradient[k] * tangent[k];
            }

            GradientChecker.Compare(failure, "JVP", jvp[1], dot, 1e-9);
            if (failure.Length > 0)
            {
                output.WriteLine($"WU{i} at [{GradientChecker.Format(point)}]:\n{failure}");
                failures.Add($"WU{i} at [{GradientChecker.Format(point)}]:\n{failure}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of 6 struct reducers (seed {seed}) have wrong derivatives:\n{helpers}\n{string.Join("\n", failures.Take(2))}");
    }
}
