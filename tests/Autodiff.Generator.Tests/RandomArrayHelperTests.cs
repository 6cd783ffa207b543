using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for helpers that return arrays, inlined at their calls: random map helpers
/// (a new array, element k a random expression of a scalar and the argument's element k) called on the program's
/// array, chained (one's result the next one's argument) and indexed directly, from the random programs of
/// <see cref="RandomProgramTests"/>, whose returns read the results. Gradients, JVPs and VJPs against central
/// differences (<see cref="GradientChecker"/>). 60 programs per run.
/// </summary>
public class RandomArrayHelperTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsCallingArrayHelpersHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 6000 + batch;
        string prefix = "R" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers(prefix, 3) + generator.ArrayHelpers(prefix, 3, 3);
        string M(Random random) => $"{prefix}M{random.Next(3)}";
        RandomProgramTests.CheckPrograms(output, "calling array helpers", "RandomArrays" + batch, seed, generator, prefix, helpers, 30,
            random => $$"""
                    double[] hm1 = {{M(random)}}(w, x0);
                    double[] hm2 = {{M(random)}}({{M(random)}}(hm1, x1), x2 * hm1[0]);
                    double hm3 = {{M(random)}}(hm2, x1)[2 % w.Length];

                """,
            (_, value) => $"return {value} + hm1[1 % w.Length] * hm2[0] + hm2[w.Length - 1] + hm3;");
    }
}
