using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for void helpers differentiated through their bodies: random fill helpers (a loop
/// reading what the span held, an early return, calls of scalar helpers) called twice, and three times in a loop, from the random programs of
/// <see cref="RandomProgramTests"/>, whose results the program's returns read; gradients, JVPs and VJPs against
/// central differences (<see cref="GradientChecker"/>). 80 programs per run.
/// </summary>
public class RandomInliningTests(ITestOutputHelper output)
{
    private const int ProgramsPerBatch = 40;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void ProgramsCallingFillHelpersHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 3000 + batch;
        var generator = new RandomProgramGenerator(seed);
        string prefix = "I" + batch;
        string helpers = generator.Helpers(prefix, 3) + generator.FillHelpers(prefix, 3, 3);
        RandomProgramTests.CheckPrograms(output, "calling fill helpers", "RandomInline" + batch, seed, generator, prefix, helpers, ProgramsPerBatch,
            random => $"    Span<double> zz = stackalloc double[3];\n    {prefix}F{random.Next(3)}(x0 * x1, x2, zz);\n    {prefix}F{random.Next(3)}(zz[0], x1 - zz[2], zz);\n    for (int rr = 0; rr < 3; rr++)\n    {{\n        {prefix}F{random.Next(3)}(zz[1] - rr * x0, x2 + rr, zz);\n    }}\n",
            (_, value) => $"return {value} + zz[0] * zz[1] - zz[2];");
    }
}
