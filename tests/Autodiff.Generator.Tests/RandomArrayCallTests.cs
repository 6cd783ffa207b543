using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for calls with array arguments (split calls: the callee's VJP seeded with 1 in
/// the forward sweep, its partials with respect to the array in a pooled array, kept in locals outside loops and on
/// the tapes inside them): random reduction helpers (Σₖ of a random expression of a scalar and element k) called from
/// the random programs of <see cref="RandomProgramTests"/> outside loops on the program's array, and inside a loop on
/// the program's array and on an array made in each iteration, with argument expressions whose chain rule reads
/// values (an exponential, a tanh of the counter). Gradients, JVPs and VJPs against central differences. 60 programs
/// per run.
/// </summary>
public class RandomArrayCallTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsCallingMethodsWithArraysHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 7000 + batch;
        string prefix = "C" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers(prefix, 3) + generator.ReductionHelpers(prefix, 3, 3);
        string A(Random random) => $"{prefix}A{random.Next(3)}";
        string[] scalars = { "x0", "x1", "x2" };
        string S(Random random) => scalars[random.Next(scalars.Length)];
        RandomProgramTests.CheckPrograms(output, "calling methods with arrays", "RandomArrayCalls" + batch, seed, generator, prefix, helpers, 30,
            random => $$"""
                    double ca = {{A(random)}}(w, {{S(random)}} * {{S(random)}});
                    double cb = 0;
                    for (int q = 0; q < {{1 + random.Next(3)}}; q++)
                    {
                        double[] cl = new double[w.Length];
                        for (int k = 0; k < w.Length; k++) cl[k] = Math.Sin(w[k] * ({{S(random)}} + q));
                        double ce = Math.Exp({{S(random)}} * 0.3) * {{S(random)}};
                        cb += {{A(random)}}(cl, Math.Tanh(ce + q) * {{S(random)}}) * Math.Cos({{S(random)}} * q) + {{A(random)}}(w, {{S(random)}} + q);
                    }

                """,
            (_, value) => $"return {value} + 0.5 * ca + cb;");
    }
}
