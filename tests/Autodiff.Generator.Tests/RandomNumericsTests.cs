using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for the rules of <c>System.Numerics.Complex</c>: the random programs of
/// <see cref="RandomProgramTests"/> make complex numbers from their values, pass them through random helpers that chain
/// the operators and functions with rules (<see cref="RandomProgramGenerator.ComplexHelpers"/>), in a loop too, and read
/// their parts, magnitude and phase. Gradients, JVPs and VJPs against central differences, 60 programs per run. (The
/// float vectors and quaternions are checked by <c>StructTests</c>: float central differences are too coarse for
/// random programs.)
/// </summary>
public class RandomNumericsTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsWithComplexNumbersHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 9000 + batch;
        string prefix = "C" + batch;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers(prefix, 3) + generator.ComplexHelpers(prefix, 3, 3);
        string K(Random random) => $"{prefix}K{random.Next(3)}";
        RandomProgramTests.CheckPrograms(output, "with complex numbers", "RandomComplex" + batch, seed, generator, prefix, helpers, 30,
            random => $$"""
                    var cz = new System.Numerics.Complex(x0, w[0]);
                    System.Numerics.Complex cq = {{K(random)}}(cz, x1);
                    for (int t = 0; t < 2; t++)
                        cq = {{K(random)}}(cq, x2 + 0.3 * t) + cz;
                    double cs = cq.Real * cz.Imaginary + cq.Magnitude + System.Numerics.Complex.Abs(cq - cz);

                """,
            (_, value) => $"return {value} + cs;");
    }
}
