using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for local functions, inlined at their calls: the random programs of
/// <see cref="RandomProgramTests"/> declare random local functions (static ones with the random helpers' bodies, one
/// that reads the method's parameters, one with an early return, a void one with out parameters) and call them before,
/// inside and after a loop, among guards (a throw statement, a throw expression in a conditional and in a switch arm);
/// their returns read the results. Gradients, JVPs and VJPs against central differences (<see cref="GradientChecker"/>).
/// 60 programs per run.
/// </summary>
public partial class RandomLocalFunctionTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [GeneratedRegex(@"public static double (\w+)H(\d)\(double a, double b\) => (.+);")]
    private static partial Regex Helper();

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsWithLocalFunctionsHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 5000 + batch;
        string prefix = "L" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers(prefix, 3);

        // The helpers' bodies as static local functions, and three more.
        string locals = string.Concat(Helper().Matches(helpers).Select(m => $"    static double Local{m.Groups[2].Value}(double a, double b) => {m.Groups[3].Value};\n"))
            + "    double Reads(double a) => a * x1 + Math.Sin(x2 * a);\n"
            + "    void Split(double a, out double p, out double q)\n    {\n        p = a * x0;\n        q = Math.Sin(a) + p;\n    }\n"
            + "    double Early(double a, double b)\n    {\n        if (a > b)\n        {\n            return a - b * 0.5;\n        }\n\n        double q = a * b;\n        return q * q;\n    }\n";
        string L(Random random) => "Local" + random.Next(3);
        RandomProgramTests.CheckPrograms(output, "with local functions", "RandomLocal" + batch, seed, generator, prefix, helpers, 30,
            random => $$"""
                    double la = {{L(random)}}(x0, x1 * x2) + Reads(x0);
                    double gd = x2 < 1e9 ? x2 * 0.5 : throw new ArgumentOutOfRangeException(nameof(x2));
                    double lb = 0;
                    for (int r = 0; r < 3; r++)
                    {
                        double step = Early(la * 0.3 + r, x1);
                        if (double.IsNaN(step)) throw new InvalidOperationException("step " + r);
                        lb += step * {{L(random)}}(x2, step) + gd * r switch { > 5 => throw new InvalidOperationException(), > 1 => 0.5, _ => 1.0 };
                        Split(lb * 0.1, out double sp, out la);
                        lb += sp;
                    }

                """,
            (random, value) => $"return {value} + la * lb + {L(random)}(lb, x0);",
            _ => locals);
    }
}
