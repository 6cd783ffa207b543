using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// To-be-recorded by paths: a scalar whose old values the reverse sweep never reads is not saved at its overwrites (a
/// running sum read only after its loop), one that a later statement of the same loop reads is, and only the writes
/// that can come first after a read save. Counted loops keep neither counter nor trip count; expensive loop locals are
/// stored, not recomputed. Each against finite differences.
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

        [Differentiable] public static double Poly(double[] c)
        {
            double[] t = { 0.5, -0.3, 0.8 };
            int n = c.Length;
            double s = 0;
            for (int j = 0; j < t.Length; j++)
            {
                double inner = 0;
                double mul = 1;
                for (int k = 0; k < n; k++) { inner += c[k] * mul; mul *= t[j]; }
                double r = inner - 0.5;
                s += r * r;
            }

            return 0.5 * s; // not fused: the outer loop is replayed backwards
        }

        [Differentiable] public static double Nearest(double[] w)
        {
            double[] points = { 0.1, -0.7, 1.3, 0.45 };
            double cost = 0;
            for (int i = 0; i < points.Length; i++)
            {
                double best = double.PositiveInfinity;
                for (int c = 0; c < w.Length; c++)
                {
                    double d = points[i] - w[c];
                    double e = Math.Exp(0.1 * d);
                    best = Math.Min(best, d * d * e);
                }

                cost += Math.Log(1 + best) * points[i];
            }

            return cost;
        }

        [Differentiable] public static double Peak(double[] w)
        {
            double m = w[0] * w[1];
            for (int i = 1; i < w.Length; i++)
            {
                double t = Math.Sin(w[i]) * w[0];
                m = Math.Max(m, t - 0.1 * i);
            }

            return m * m + w[1];
        }

        [Differentiable] public static double Scaled(double[] w)
        {
            double s = 0;
            for (int i = 0; i < w.Length; i++)
            {
                double z = w[i] / Math.Exp(w[(i + 1) % w.Length]);
                s = Math.Max(s, z * z) + 0.1 * s;
            }

            return s;
        }
        """;

    private static readonly Lazy<(GeneratorHarness.Result Result, Type Type)> Compiled = new(() =>
    {
        var result = GeneratorHarness.Run("using System; using Autodiff;\nnamespace R;\npublic static partial class C\n{\n" + Members
            + GradientChecker.Wrappers("Lse", 0) + GradientChecker.Wrappers("Inside", 0)
            + GradientChecker.Wrappers("Poly", 0) + GradientChecker.Wrappers("Scaled", 0)
            + GradientChecker.Wrappers("Nearest", 0) + GradientChecker.Wrappers("Peak", 0) + "\n}\n");
        return (result, GeneratorHarness.Load(result).GetType("R.C", throwOnError: true)!);
    });

    [Fact]
    public void A_running_sum_read_only_after_its_loop_is_not_saved()
    {
        string vjp = Compiled.Value.Result.Source("R.C.Lse.").Split("LseVjp(")[1].Split("LseGradient(")[0];
        Assert.DoesNotContain("Push(s)", vjp, StringComparison.Ordinal);
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Lse", Array.Empty<double>(), new[] { 0.3, -1.2, 2.5, 2.5, 0.7 });
    }

    [Fact]
    public void A_sum_that_a_later_statement_of_its_loop_reads_is_restored()
    {
        // Sin(s) reads s in the reverse of each iteration: s must be back at that iteration's value.
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Inside", Array.Empty<double>(), new[] { 0.3, -0.2, 0.5, 0.1 });
    }

    [Fact]
    public void Only_the_write_that_can_come_first_after_a_read_saves()
    {
        // inner is read after its inner loop (r = inner - 0.5): the next point's inner = 0 comes first after that read,
        // so it alone saves; the sums inside the inner loop do not. mul = 1 is never first after the read of mul (the
        // product's own overwrite is), so only mul *= t saves.
        string vjp = Compiled.Value.Result.Source("R.C.Poly.").Split("PolyVjp(")[1].Split("PolyGradient(")[0];
        Assert.Equal(1, Count(vjp, "Push(inner)"));
        Assert.Equal(1, Count(vjp, "Push(mul)"));
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Poly", Array.Empty<double>(), new[] { 0.3, -1.2, 0.5, 0.7, -0.4, 0.9 });
    }

    [Fact]
    public void A_counted_loop_to_an_invariant_bound_records_neither_counter_nor_trips()
    {
        // k runs from 0 to n (declared once, never written). The outer loop's reverse sets j = t.Length and counts that
        // many iterations; the inner loop is run again forwards (its running product is not taped), k from 0 again.
        string vjp = Compiled.Value.Result.Source("R.C.Poly.").Split("PolyVjp(")[1].Split("PolyGradient(")[0];
        Assert.DoesNotContain("Push(k)", vjp, StringComparison.Ordinal);
        Assert.DoesNotContain("Push(j)", vjp, StringComparison.Ordinal);
        Assert.DoesNotContain("__tapeI", vjp, StringComparison.Ordinal);
        Assert.Contains("j = __n", vjp, StringComparison.Ordinal);
        Assert.Contains("(run again forwards, each iteration's reverse right after it)", vjp, StringComparison.Ordinal);
        Assert.Contains("k = 0;", vjp.Split("---- reverse")[1], StringComparison.Ordinal);
    }

    [Fact]
    public void An_expensive_loop_local_is_stored_not_recomputed()
    {
        // z reads an Exp: the reverse sweep takes z and the Exp from the tape instead of calling Exp again.
        string vjp = Compiled.Value.Result.Source("R.C.Scaled.").Split("ScaledVjp(")[1].Split("ScaledGradient(")[0];
        Assert.Single(vjp.Split('\n'), line => line.Contains("Math.Exp(", StringComparison.Ordinal) && !line.TrimStart().StartsWith("//", StringComparison.Ordinal));
        Assert.DoesNotContain("// recomputed", vjp, StringComparison.Ordinal);
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Scaled", Array.Empty<double>(), new[] { 0.3, -1.2, 0.5, 0.7 });
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public void A_running_maximum_notes_the_iteration_it_picks_and_differentiates_only_that_one()
    {
        // m = Math.Max(m, w[i]): the whole adjoint of m goes to the last w[i] it picked (or to w[0]); nothing per step.
        string vjp = Compiled.Value.Result.Source("R.C.Lse.").Split("LseVjp(")[1].Split("LseGradient(")[0];
        Assert.DoesNotContain("Push(m)", vjp, StringComparison.Ordinal);
        Assert.Contains("(only the iteration the running maximum picked last)", vjp, StringComparison.Ordinal);
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Lse", Array.Empty<double>(), new[] { 0.3, -1.2, 2.5, 0.7 });
        GradientChecker.AssertCorrect(Compiled.Value.Type, "Lse", Array.Empty<double>(), new[] { 3.0, -1.2, 2.5, 0.7 });   // w[0] is the maximum
    }

    [Theory]
    [InlineData("Nearest", new[] { 0.3, -1.2, 0.9 })]
    [InlineData("Nearest", new[] { 0.2 })]
    [InlineData("Nearest", new[] { 1.5, 1.4, -0.6, 0.05 })]
    [InlineData("Peak", new[] { 0.8, 0.5, 1.1, -0.4 })]
    [InlineData("Peak", new[] { 2.0, 1.5, 0.1, -0.4 })]   // the first value stays the maximum: no iteration is picked
    [InlineData("Peak", new[] { 0.6, -0.3 })]
    public void Selection_loops_inside_loops_and_from_a_computed_start_have_correct_gradients(string name, double[] w)
    {
        string vjp = Compiled.Value.Result.Source("R.C." + name + ".").Split(name + "Vjp(")[1].Split(name + "Gradient(")[0];
        Assert.Contains("picked last)", vjp, StringComparison.Ordinal);
        GradientChecker.AssertCorrect(Compiled.Value.Type, name, Array.Empty<double>(), w);
    }
}
