using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

public class ScratchTests(ITestOutputHelper output)
{
    [Fact]
    public void Scratch()
    {
        string body = Environment.GetEnvironmentVariable("SCRATCH_BODY") ?? "return x0;";
        string source = "using System; using Autodiff;\npublic static partial class S {\n[Differentiable] public static double P(double x0, double x1, double x2, double[] w) {\n" + body + "\n}\n" + (Environment.GetEnvironmentVariable("SCRATCH_EXTRA") ?? "") + GradientChecker.Wrappers("P", 3) + "}";
        var result = GeneratorHarness.Run(source);
        output.WriteLine(result.Source("S.P"));
        var type = GeneratorHarness.Load(result).GetType("S")!;
        GradientChecker.AssertCorrect(type, "P", new[] { -0.08069, 0.79581, 0.72961 }, new[] { -0.45319 });
    }
}
