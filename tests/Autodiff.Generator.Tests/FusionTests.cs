using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>Which loops are fused with their reverse (their correctness is checked in ConstructTests and the random programs).</summary>
public class FusionTests
{
    [Theory]
    [InlineData("FusedSum", true)]
    [InlineData("FusedBranches", true)]
    [InlineData("DoWhileAccumulation", false)] // the counter is incremented in the body: the iteration's reverse would undo it
    [InlineData("FusedCalls", true)]
    [InlineData("FusedLocalArray", true)]
    [InlineData("NotFusedReadsAccumulator", false)]
    [InlineData("NotFusedLocalReassigned", false)]
    [InlineData("NotFusedTailUsesAccumulator", false)]
    public void FusionAppliesExactlyToFinalAccumulations(string name, bool fused)
    {
        var c = ConstructTests.Cases.Single(x => x.Name == name);
        string source = "using System; using Autodiff;\npublic static partial class F\n{\n[Differentiable] public static double " + name + "(" + c.Signature + ")\n{\n" + c.Body + "\n}\n}\n"
            + "public static partial class Helper { [Differentiable] public static double Square(double a) => a * a; [Differentiable] public static double Inner(double a, double b) => Math.Sin(a) * b; }";
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        string generated = result.Source("F." + name + ".");
        Assert.Equal(fused, generated.Contains("(fused:", StringComparison.Ordinal));
        if (fused && name != "FusedLocalArray") // that one's first loop (not final) keeps its tape
        {
            Assert.DoesNotContain("AutodiffTape", generated.Split("Jvp(")[0], StringComparison.Ordinal);
        }
    }
}
