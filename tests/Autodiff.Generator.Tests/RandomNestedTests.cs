using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for nested differentiation: the random programs of <see cref="RandomProgramTests"/>
/// call the generated derivatives of random second-order helpers (a JVP's tangent, a deconstructed JVP, a gradient
/// with its adjoints, gradient steps in a loop) and their returns read the results; gradients, JVPs and VJPs against
/// central differences (<see cref="GradientChecker"/>). 60 programs per run.
/// </summary>
public class RandomNestedTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsCallingGeneratedDerivativesHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 4000 + batch;
        string prefix = "N" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers(prefix, 3)
            .Replace("[Differentiable] public static double", "[Differentiable(SecondOrder = true)] public static double", StringComparison.Ordinal);
        string H(Random random) => $"{prefix}H{random.Next(3)}";
        RandomProgramTests.CheckPrograms(output, "calling generated derivatives", "RandomNested" + batch, seed, generator, prefix, helpers, 30,
            random => $$"""
                    double nv = {{H(random)}}Jvp(x0, x1 * x2, x2, 0.5).Tangent;
                    double ng = {{H(random)}}Gradient(x1, x0 - x2, out double na, out double nb);
                    var (np, nq) = {{H(random)}}Jvp(x2, x0, 1.0, x1);
                    double sx = x0, sy = x1;
                    for (int s = 0; s < 2; s++)
                    {
                        {{H(random)}}Gradient(sx, sy, out double ga, out double gb);
                        sx = sx - 0.1 * ga;
                        sy = sy - 0.1 * gb;
                    }

                """,
            (_, value) => $"return {value} + nv * na + ng - nb * np + nq + sx * sy;");
    }
}
