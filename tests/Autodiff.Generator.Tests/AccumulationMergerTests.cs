using Autodiff.Generator.Emit;
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
        AccumulationMerger.Merge(block).WriteTo(text, 0);
        return text.ToString().Replace("\r", string.Empty);
    }

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
