using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>Which loops are fused with their reverse (their correctness is checked in ConstructTests and the random programs).</summary>
public class FusionTests
{
    [Theory]
    [InlineData("FusedSum", true)]
    [InlineData("FusedBranches", true)]
    [InlineData("DoWhileAccumulation", true)] // the counter is incremented in the body: set again after the iteration's reverse undoes it
    [InlineData("FusedCalls", true)]
    [InlineData("FusedLocalArray", true)]
    [InlineData("NotFusedReadsAccumulator", false)]
    [InlineData("FusedLocalReassigned", true)]
    [InlineData("FusedNestedActiveProduct", true)]
    [InlineData("FusedNestedPassiveProduct", true)]
    [InlineData("FusedCarriedPassive", true)]
    [InlineData("FusedPairs", true)] // a local of the iteration, assigned twice: its adjoint stays in the iteration
    [InlineData("NotFusedTailUsesAccumulator", false)]
    public void FusionAppliesExactlyToFinalAccumulations(string name, bool fused)
    {
        string generated = Generate(name);
        Assert.Equal(fused, generated.Contains("(fused:", StringComparison.Ordinal));
        Assert.Equal(name == "FusedPairs", generated.Contains("(each iteration followed by its reverse)", StringComparison.Ordinal));
        if (fused && name is not ("FusedLocalArray" or "FusedNestedActiveProduct")) // a first loop, or an inner loop with an active product, keeps its tape
        {
            Assert.DoesNotContain("AutodiffTape", generated.Split("Jvp(")[0], StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A fused loop's final <c>if</c> is taken once: each branch is followed by its own reverse, so the condition is not
    /// evaluated again, and a branch ending with an <c>if</c> nests the same way.
    /// </summary>
    [Theory]
    [InlineData("FusedBranches")]
    [InlineData("FusedNestedIfs")]
    public void AFusedLoopsFinalIfRunsItsReverseInTheBranch(string name)
    {
        string vjp = Generate(name).Split("Jvp(")[0];
        Assert.Contains("(each branch followed by its reverse)", vjp, StringComparison.Ordinal);
        Assert.DoesNotContain("(replayed backwards)", vjp, StringComparison.Ordinal);
        Assert.DoesNotContain("AutodiffTape", vjp, StringComparison.Ordinal);
    }

    /// <summary>
    /// An adjoint array the fused loop updates once per element over its whole length is written (<c>dw[i] = ...</c>),
    /// not cleared and then added to. The values are checked in <see cref="ConstructTests"/>, with <c>dw</c> filled with
    /// garbage before the call, so an element left unwritten would fail there.
    /// </summary>
    [Theory]
    [InlineData("WriteOnceSum", true)]
    [InlineData("FusedBranches", true)] // foreach: one read per element
    [InlineData("FusedSum", true)]
    [InlineData("NotWriteOnceHeadRead", false)] // w[0] is also read before the loop
    [InlineData("WriteOnceNeighbour", true)] // dw[i] and dw[i + 1] within a bound of w.Length - 1: the second carried
    [InlineData("WriteOnceStencil", true)]
    [InlineData("WriteOnceStencilTwo", true)] // dw[i] and dw[i + 2], nothing at i + 1
    [InlineData("WriteOnceStencilBranch", true)] // the branch is on a local: the updates are not in it
    [InlineData("NotWriteOnceStencilBeyondBound", false)] // dw[i + 2] is beyond what the bound w.Length - 1 keeps in range
    [InlineData("NotWriteOnceInBranch", false)] // the update is conditional
    [InlineData("NotWriteOnceFromOne", false)] // w[0] is never written by the loop
    [InlineData("FusedCalls", true)] // two reads of w[i], merged into one update
    public void AnAdjointWrittenOncePerElementIsNotCleared(string name, bool once)
    {
        string generated = Generate(name);
        foreach (string method in new[] { generated.Split("Jvp(")[0], generated.Split("Gradient(")[1].Split("Jvp(")[0] })
        {
            Assert.Equal(!once, method.Contains("dw.Clear();", StringComparison.Ordinal));
            Assert.Equal(once, method.Contains("dw is not cleared first", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// The gradient of a short straight-line body (no loop, at most 24 statements) is the VJP's body with the seed 1
    /// written in, as for a fused loop, so folding the seed does not depend on the JIT inlining the VJP; a loop that is
    /// not fused, or a longer body, calls the VJP. Values: ConstructTests and the random programs.
    /// </summary>
    [Theory]
    [InlineData("double a = x * y; return Math.Sin(a) * y;", 0, true)]
    [InlineData("double a = x; if (a > 0) { a = a * y; } else { a = -a; } return a * a;", 0, true)]
    [InlineData("double s = 0; for (int i = 0; i < 3; i++) { s = s * x + y; } return s;", 0, false)]
    [InlineData("double a = x;", 22, true)]   // 22 updates, a declaration and the return: 24 statements
    [InlineData("double a = x;", 23, false)]  // 25
    public void AShortStraightLineGradientIsWrittenOut(string body, int updates, bool writtenOut)
    {
        string statements = body + string.Concat(Enumerable.Repeat(" a = a * y + x;", updates)) + (updates > 0 ? " return a;" : string.Empty);
        var result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class S\n{\n[Differentiable] public static double G(double x, double y)\n{\n"
            + statements + "\n}\n}\n");
        Assert.Empty(result.CompilerErrors());
        string gradient = result.Source("S.G.").Split("GGradient(")[1].Split("GJvp(")[0];
        Assert.Equal(writtenOut, gradient.Contains("The body of GVjp with the seed 1 written in.", StringComparison.Ordinal));
        Assert.Equal(!writtenOut, gradient.Contains("=> GVjp(x, y, 1.0, out dx, out dy);", StringComparison.Ordinal));
    }

    [Fact]
    public void MinusSignsTravelToTheLeaves_AndFoldIntoALiteral()
    {
        // Rosenbrock at N = 2: y - x * x hands -g to x * x; the sign reaches dx as a subtraction and a literal -2.0,
        // not as a negated temp (__g7 = -__g6) and two sign flips.
        var result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class S\n{\n"
            + "[Differentiable] public static double R(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);\n}\n");
        Assert.Empty(result.CompilerErrors());
        string gradient = result.Source("S.R.").Split("RGradient(")[1].Split("RJvp(")[0];
        Assert.Contains("dx = -2.0 * (__g6 * x) - __g3;", gradient, StringComparison.Ordinal);
        Assert.DoesNotContain("= -__g", gradient, StringComparison.Ordinal);
        Assert.DoesNotContain("+ -", gradient, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GeneratedMethodsSkipLocalsInit_OnlyWhereTheProjectAllowsUnsafeCode(bool allowUnsafe)
    {
        // The attribute needs AllowUnsafeBlocks (CS0227 otherwise); a loop with a local array and a vector loop, so
        // that every kind of generated method is there.
        var compilation = GeneratorHarness.CreateCompilation("using System; using Autodiff;\npublic static partial class S\n{\n"
            + "[Differentiable] public static double G(double[] x, double y) { double[] h = new double[x.Length]; for (int i = 0; i < x.Length; i++) h[i] = x[i] * y; double s = 0; for (int i = 0; i < x.Length; i++) s += h[i] * h[i] + Math.Sqrt(1 + x[i] * x[i]); return s; }\n"
            + "[Differentiable] public static double V(double[] x, double y) { double s = 0; for (int i = 0; i < x.Length; i++) s += Math.Sqrt(1 + x[i] * x[i]) * y; return s; }\n}\n");
        var result = GeneratorHarness.Run(compilation.WithOptions(compilation.Options.WithAllowUnsafe(allowUnsafe)));
        Assert.Empty(result.CompilerErrors());
        string g = result.Source("S.G."), v = result.Source("S.V.");
        // FVjp, FGradient, FJvp and the lane method of the final loop, each.
        Assert.Contains("where TL : ", v, StringComparison.Ordinal);
        Assert.Equal(allowUnsafe ? 4 : 0, System.Text.RegularExpressions.Regex.Matches(g, @"\[global::System\.Runtime\.CompilerServices\.SkipLocalsInit\]").Count);
        Assert.Equal(allowUnsafe ? 4 : 0, System.Text.RegularExpressions.Regex.Matches(v, @"\[global::System\.Runtime\.CompilerServices\.SkipLocalsInit\]").Count);
    }

    private static string Generate(string name)
    {
        var c = ConstructTests.Cases.Single(x => x.Name == name);
        string source = "using System; using Autodiff;\npublic static partial class F\n{\n[Differentiable] public static double " + name + "(" + c.Signature + ")\n{\n" + c.Body + "\n}\n}\n"
            + "public static partial class Helper { [Differentiable] public static double Square(double a) => a * a; [Differentiable] public static double Inner(double a, double b) => Math.Sin(a) * b; }";
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        return result.Source("F." + name + ".");
    }
}
