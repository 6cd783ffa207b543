using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// To-be-recorded, flow-sensitive: a scalar whose old values the reverse sweep never reads is not saved at its
/// overwrites (a running sum read only after its loop), and one that a later statement of the same loop reads is.
/// Both against finite differences.
/// </summary>
public class RestoreTests
{
    private const string Members = """
        [Differentiable] public static double Lse(double[] w)
        {
            double m = w[0];
            for (int i = 1; i < w.Length; i++) m = Math.Max(m, w[i]);
            double s = 0;
            for (int i = 0; i < w.Length; i++) s += Math.Exp(w[i] - m);
            return m + Math.Log(s);
        }

        [Differentiable] public static double Inside(double[] w)
        {
            double s = 0, t = 0;
            for (int i = 0; i < w.Length; i++) { s += w[i] * w[i]; t += Math.Sin(s); }
            return t * s;
        }
        """;

    private static readonly Lazy<(GeneratorHarness.Result Result, Type Type)> Compiled = new(() =>
    {
        var result = GeneratorHarness.Run("using System; using Autodiff;\nnamespace R;\npublic static partial class C\n{\n" + Members
            + GradientChecker.Wrappers("Lse", 0) + GradientChecker.Wrappers("Inside", 0) + "\n}\n");
        return (result, GeneratorHarness.Load(result).GetType("R.C", throwOnError: true)!);
    });

    [Fact]
    public void A_running_sum_read_only_after_its_loop_is_not_saved()
    {
        string vjp = Compiled.Value.Result.Source("R.C.Lse.").Split("LseVjp(")[1].Split("LseGradient(")[0];
        Assert.DoesNotContain("Push(s)", vjp, StringComparison.Ordinal);
        Assert.Contains("Push(m)", vjp, StringComparison.Ordinal);   // Max reads m in the reverse of the same loop
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Lse", Array.Empty<double>(), new[] { 0.3, -1.2, 2.5, 2.5, 0.7 });
    }

    [Fact]
    public void A_sum_that_a_later_statement_of_its_loop_reads_is_restored()
    {
        // Sin(s) reads s in the reverse of each iteration: s must be back at that iteration's value.
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Inside", Array.Empty<double>(), new[] { 0.3, -0.2, 0.5, 0.1 });
    }
}
