using Autodiff.Generator.Emit;
using Autodiff.Generator.Ir;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The peephole's knowledge of zero adjoints across blocks: an adjoint zeroed before an <c>if</c> / <c>else</c> is
/// still zero where each branch starts, and nowhere else (the end-to-end values are checked in ConstructTests and the
/// random programs; these pin which update becomes an assignment).
/// </summary>
public class AccumulationMergerTests
{
    private static string Merge(string code)
    {
        var block = new CodeBlock();
        foreach (string raw in code.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            int spaces = line.Length - line.TrimStart().Length;
            block.LineAt(spaces / 4, line.Trim());
        }

        var text = new System.Text.StringBuilder();
        CodePrinter.WriteTo(AccumulationMerger.Merge(block), text, 0);
        return text.ToString().Replace("\r", string.Empty);
    }

    [Theory]
    [InlineData("2.0 * (g * x)", "-2.0 * (g * x)")]
    [InlineData("g / (r * r)", "-g / (r * r)")]
    [InlineData("(double)(g) * x[i - 1]", "-(double)(g) * x[i - 1]")]
    [InlineData("a + b", "-(a + b)")]
    [InlineData("-a", "-(-a)")]
    [InlineData("c ? a : b", "-(c ? a : b)")]
    [InlineData("1E-05 * g", "-(1E-05 * g)")]
    public void ANegatedTerm_TakesTheMinusInFrontOnlyOfAProduct(string term, string negated)
        => Assert.Equal(negated, AccumulationMerger.Negate(term));

    [Theory]
    [InlineData("-__g3|-2.0 * (__g6 * x)", "-2.0 * (__g6 * x) - __g3")]
    [InlineData("-g|a|b", "a - g + b")]
    [InlineData("-g|-h", "-g - h")]
    [InlineData("a|-(b + c)|-d * e", "a - (b + c) - d * e")]
    [InlineData("-2.0 * g|-h", "-2.0 * g - h")]
    public void SignedTerms_AreSubtracted_AndAFreeSignGoesFirst(string terms, string joined)
        => Assert.Equal(joined, AccumulationMerger.JoinTerms(terms.Split('|')));

    [Fact]
    public void EachBranchOfAnIf_StartsFromWhatWasZeroAtTheIf()
    {
        string merged = Merge("""
            dv = 0.0;
            if (v < 0.0)
            {
                dv += 2.0 * g;
            }
            else
            {
                if (v < 1.0)
                {
                    dv += g * v;
                }
                else
                {
                    dv += g;
                }
            }
            dx[i] = dv;
            """);
        Assert.Contains("\n    dv = 2.0 * g;", merged);
        Assert.Contains("\n        dv = g * v;", merged);
        Assert.Contains("\n        dv = g;", merged);
        Assert.DoesNotContain("dv +=", merged);
    }

    [Fact]
    public void ALoopBody_AndTheCodeAfterABlock_KnowNothingZero()
    {
        string merged = Merge("""
            dv = 0.0;
            while (k < n)
            {
                dv += g;
                k = k + 1;
            }
            dw = 0.0;
            if (c)
            {
                dw += g;
            }
            dw += h;
            """);
        Assert.Contains("    dv += g;", merged);   // runs again after its own update
        Assert.Contains("    dw = g;", merged);    // the branch: zero at the if
        Assert.Contains("\ndw += h;", merged);     // after the if: the branch may have run
    }

    [Fact]
    public void AnUpdateInABranch_IsSeenByTheIfNestedAfterIt_AndTheElseStartsFromTheOuterIf()
    {
        string merged = Merge("""
            dv = 0.0;
            if (a)
            {
                dv += g;
                if (b)
                {
                    dv += h;
                }
            }
            else
            {
                dv += k;
            }
            """);
        Assert.Contains("    dv = g;", merged);
        Assert.Contains("        dv += h;", merged);
        Assert.Contains("    dv = k;", merged);
    }

    [Fact]
    public void AConditionThatWrites_OrALabel_EndsWhatIsKnown()
    {
        string merged = Merge("""
            dv = 0.0;
            if ((dv = f) > 0.0)
            {
                dv += g;
            }
            dw = 0.0;
            again:
            dw += g;
            """);
        Assert.Contains("    dv += g;", merged);
        Assert.Contains("\ndw += g;", merged);
    }
}
