using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Where loop-invariant hoisting applies (<c>InvariantHoisting</c>): an entire function of the inner counter and of what
/// the outer loop never writes goes into an array before the outer loop, once for every inner loop over the same range;
/// a value under a branch, one reading what the outer loop writes, a function that is not entire (its derivative may be
/// infinite where the method never evaluated it) and an inner loop not starting at zero stay where they are. Gradients
/// of such code are checked by <see cref="RandomHoistingTests"/>.
/// </summary>
public class HoistingTests
{
    private static string Generated(string body)
    {
        string source = "using System; using Autodiff;\npublic static partial class H\n{\n    [Differentiable]\n    public static double F(double[] s, double[] m, [NoDerivative] double[] x)\n    {\n"
            + "        int k = s.Length;\n        double total = 0;\n        for (int i = 0; i < x.Length; i++)\n        {\n" + body + "\n        }\n\n        return total;\n    }\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
        return string.Concat(result.Sources.Select(s => s.SourceText.ToString()));
    }

    private static int Hoisted(string code) => code.Split('\n').Count(line => line.Contains("__hoisted", StringComparison.Ordinal) && line.Contains("Span<double> __hoisted", StringComparison.Ordinal));

    [Fact]
    public void An_entire_function_of_the_counter_is_hoisted_once_for_two_inner_loops()
    {
        string code = Generated("""
                for (int c = 0; c < k; c++) total += (x[i] - m[c]) / Math.Exp(s[c]);
                for (int c = 0; c < k; c++) total += x[i] * Math.Exp(s[c]);
            """);
        Assert.Contains("__hoisted[", code, StringComparison.Ordinal);
        // Computed in the hoisting loop only (its counter __h), never per point (the inner counters c and c_1).
        Assert.Contains("global::System.Math.Exp(s[__h", code, StringComparison.Ordinal);
        Assert.DoesNotContain("global::System.Math.Exp(s[c", code, StringComparison.Ordinal);
        Assert.True(Hoisted(code) >= 1, code);
    }

    [Theory]
    [InlineData("if (x[i] > 0) { for (int c = 0; c < k; c++) total += Math.Exp(s[c]); }")]
    [InlineData("double shift = x[i];\n for (int c = 0; c < k; c++) total += Math.Exp(s[c] * shift);")]
    [InlineData("for (int c = 0; c < k; c++) total += x[i] * Math.Log(s[c] * s[c] + 1);")]
    [InlineData("for (int c = 1; c < k; c++) total += x[i] * Math.Exp(s[c]);")]
    [InlineData("for (int c = 0; c < k; c++) total += x[i] * Math.Exp(s[c] / m[c]);")]
    public void Other_values_stay_in_the_loop(string body)
    {
        string code = Generated(body);
        Assert.DoesNotContain("__hoisted", code, StringComparison.Ordinal);
    }
}
