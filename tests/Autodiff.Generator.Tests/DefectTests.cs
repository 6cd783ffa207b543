using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Regression tests for the defects found by trial and by fuzzing: each input once crashed the generator, gave generated
/// code that did not compile or warned, or a wrong derivative. The promise checked: no exception, no CS8785, no AD0901
/// on valid code, no error or warning inside a generated file, and the right numbers.
/// </summary>
public class DefectTests
{
    private const string Scalar = "using System; using Autodiff;\nnamespace D;\n";
    private const string ModelHeader = "using System; using Autodiff; using Autodiff.Layers;\nnamespace Models;\n";

    /// <summary>Runs the generator; asserts nothing escaped (CS8785) and that generated files have no errors or warnings.</summary>
    private static GeneratorHarness.Result Run(string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8785" or "AD0901");
        var generatedTrees = result.Sources.Select(s => s.SyntaxTree).ToHashSet();
        var inGenerated = result.Output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generatedTrees.Contains(tree)).ToList();
        Assert.True(inGenerated.Count == 0, "In generated code:\n" + string.Join("\n", inGenerated));
        return result;
    }

    private static string At(Diagnostic diagnostic) => diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);

    private static Diagnostic OnlyAutodiff(GeneratorHarness.Result result, string id)
    {
        var diagnostics = result.AutodiffDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(diagnostics.Count > 0 && diagnostics.All(d => d.Id == id), "Expected only " + id + ", got:\n" + string.Join("\n", diagnostics));
        return diagnostics[0];
    }

    private static MethodInfo Method(Assembly assembly, string type, string name, int parameters)
        => assembly.GetType(type, throwOnError: true)!.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Single(m => m.Name == name && m.GetParameters().Length == parameters);

    // ---- trial defects (generator) ----

    [Fact]
    public void Overloaded_model_methods_each_get_their_own_file_and_tape()
    {
        var result = Run(ModelHeader + """
            [Model] public sealed partial class M
            {
                public Tensor W = Tensor.Full(1f, 4);
                [Differentiable] public float Loss(Tensor x) => Tensor.Sum(x * W);
                [Differentiable] public float Loss(Tensor x, float a) => a * Tensor.Sum(x * W);
                [Differentiable] public float Both(Tensor x) => Loss(x) + Loss(x, 2f);
            }
            """);
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.Equal(2, result.Sources.Count(s => s.HintName.StartsWith("Models.M.Loss.", StringComparison.Ordinal)));

        // d/dW of Loss(x) + Loss(x, 2) = 3x
        Assembly assembly = GeneratorHarness.Load(result);
        Type type = assembly.GetType("Models.M")!;
        object model = Activator.CreateInstance(type)!;
        object gradient = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 4);
        float value = (float)type.GetMethod("BothGradient")!.Invoke(model, new[] { x, gradient })!;
        Assert.Equal(30f, value);
        var dw = (Tensor)gradient.GetType().GetField("W")!.GetValue(gradient)!;
        Assert.Equal(new float[] { 3, 6, 9, 12 }, dw.Span.ToArray());
    }

    [Fact]
    public void Overloaded_scalar_methods_each_get_their_own_file_and_derivatives()
    {
        var result = Run(Scalar + """
            public static partial class C
            {
                [Differentiable] public static double F(double x) => x * x;
                [Differentiable] public static double F(double x, double y) => x * y;
                [Differentiable] public static float F(float x) => x * x * x;
                public static double[] G() => new[] { FGradient(3.0, out double a), a, FGradient(3.0, 4.0, out double b, out double c), b, c, FGradient(2f, out float d), d };
            }
            """);
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.Equal(3, result.Sources.Count(s => s.HintName.StartsWith("D.C.F.", StringComparison.Ordinal)));
        var g = (double[])GeneratorHarness.Load(result).GetType("D.C")!.GetMethod("G")!.Invoke(null, null)!;
        Assert.Equal(new[] { 9.0, 6.0, 12.0, 4.0, 3.0, 8.0, 12.0 }, g);
    }

    [Theory]
    [InlineData("Tensor gradient", "gradient")]
    [InlineData("Tensor x, Tensor tape", "tape")]
    [InlineData("Tensor x, float tangent", "tangent")]
    [InlineData("Tensor x, float dResult", "dResult")]
    [InlineData("Tensor x, Tensor dx", "dx")]
    [InlineData("Tensor x, float hv", "hv")]
    [InlineData("Tensor x, float tdResult", "tdResult")]
    public void A_model_parameter_named_like_a_generated_one_is_AD0007_at_the_parameter(string parameters, string name)
    {
        string first = parameters.Split(' ')[1].TrimEnd(',');
        var result = Run(ModelHeader + "[Model] public sealed partial class M { public Tensor W = Tensor.Full(1f, 4); [Differentiable] public float Loss(" + parameters + ") => Tensor.Sum(" + first + " * W); }");
        var d = OnlyAutodiff(result, "AD0007");
        Assert.Equal(name, At(d));
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void Model_parameters_named_like_generated_tangents_are_fine_the_tangents_take_other_names()
    {
        // tx and tdx would be the tangent and the adjoint's tangent of x: the generated methods name theirs _tx and _tdx.
        var result = Run(ModelHeader + "[Model] public sealed partial class M { public Tensor W = Tensor.Full(1f, 4); [Differentiable] public float Loss(Tensor x, Tensor tx, Tensor tdx) => Tensor.Sum(x * W * tx * tdx); }");
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.Empty(result.CompilerErrors());
    }

    [Theory]
    [InlineData("public static double EGradient(double x, out double dx) { dx = 0; return 0; }", "EGradient")]
    [InlineData("public static int EJvp;", "EJvp")]
    [InlineData("public static double EVjp => 1;", "EVjp")]
    [InlineData("public class EGradient { }", "EGradient")]
    public void A_member_named_like_a_generated_one_is_AD0007_at_the_member(string member, string name)
    {
        var result = Run(Scalar + "public static partial class C { [Differentiable] public static double E(double x) => x * x; " + member + " }");
        var d = OnlyAutodiff(result, "AD0007");
        Assert.Equal(name, At(d));
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void An_overload_of_a_generated_name_with_other_parameters_is_not_a_clash()
    {
        var result = Run(Scalar + "public static partial class C { [Differentiable] public static double E(double x) => x * x; public static double EGradient(string s) => 0; }");
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void A_NaN_test_compiles_without_warnings_in_generated_code()
    {
        var result = Run(Scalar + "public static partial class C { [Differentiable] public static double F(double x) { if (x != x) return 0; return x * x; } }");
        Assert.Empty(result.AutodiffDiagnostics());
    }

    [Fact]
    public void A_model_stub_compiles_without_warnings()
        => Run(ModelHeader + "[Model] public sealed partial class M { public Tensor W = Tensor.Full(1f, 4); [Differentiable] public float Loss(Tensor x) { double s = 2.0; return Tensor.Sum(x * W); } }");

    /// <summary>Compiles <paramref name="members"/> into <c>D.C</c> with array wrappers for <paramref name="name"/> (scalars, then one array).</summary>
    private static Type Compile(string members, string name, int scalars, string outside = "")
        => GeneratorHarness.Load(Run(Scalar + outside + "public static partial class C {\n" + members + "\n" + GradientChecker.Wrappers(name, scalars) + "\n}")).GetType("D.C", throwOnError: true)!;

    [Fact]
    public void StopGradient_of_a_call_without_a_derivative_is_a_constant()
    {
        Type type = Compile("[Differentiable] public static double F(double x, double[] w) => x * Ad.StopGradient(H.G(x, w)) + w[1] * w[0];", "F", 1,
            "public static class H { public static double G(double x, double[] w) => x * w[0]; }\n");
        var g = GradientChecker.Grad(type, "F", new[] { 2.0 }, new[] { 3.0, 5.0 });
        Assert.Equal(2.0 * 6.0 + 15.0, g.Value);
        Assert.Equal(6.0, g.Scalars[0]);                 // G(x, w) = 6 held constant
        Assert.Equal(new[] { 5.0, 3.0 }, g.Array);        // only w[1] * w[0] differentiates
    }

    [Fact]
    public void The_NaN_tests_AD0102_recommends_compile_and_differentiate()
    {
        Type type = Compile("""
            [Differentiable] public static double F(double x, double[] w)
            {
                if (double.IsNaN(x) || !double.IsFinite(w[0]) || x != x) return 0;
                return w[0] * x * x;
            }
            """, "F", 1);
        GradientChecker.AssertCorrect(type, "F", new[] { 1.5 }, new[] { 2.0 });
        Assert.Equal(0.0, GradientChecker.Grad(type, "F", new[] { 1.5 }, new[] { double.PositiveInfinity }).Scalars[0]);
    }

    [Fact]
    public void A_branch_on_the_counter_of_the_final_loop_replays_as_it_ran()
    {
        // The final loop is fused (each iteration's reverse right after it), so no reverse puts its counter back; the
        // branch before it, replayed on its condition in the reverse sweep, read the counter after the loop (i = 4), took
        // the other side and left sin(x)·e^w₀'s derivative out (found in session 25 by the hoisting pass).
        Type type = Compile("""
            [Differentiable] public static double F(double x, double[] w)
            {
                double total = 0;
                int i = 0;
                if (i < w.Length) total = Math.Sin(x) * Math.Exp(w[0]);
                for (; i < w.Length; i++) total += Math.Exp(w[i]) * (i + 1);
                return total;
            }
            """, "F", 1);
        GradientChecker.AssertCorrect(type, "F", new[] { 0.7 }, new[] { 0.3, -0.2, 0.5, 0.1 });
    }

    // ---- fuzz defects: crashes ----

    [Fact]
    public void A_NoDerivative_parameter_assigned_in_a_loop_differentiates()
    {
        // x counts up by y² + 1 until it reaches 5: from 0 with y = 1, three steps, so F = 6 and dF/dy = 3 · 2y = 6.
        Type type = GeneratorHarness.Load(Run(Scalar + """
            public static partial class C
            {
                [Differentiable] public static double F([NoDerivative] double x, double y) { while (x < 5) x = x + y * y + 1; return x; }
                public static double[] G(double x, double y) { double v = FGradient(x, y, out double dy); return new[] { v, dy, FVjp(x, y, 2.0, out double vy), vy, FJvp(x, y, 1.0).Tangent }; }
            }
            """)).GetType("D.C")!;
        var g = (double[])type.GetMethod("G")!.Invoke(null, new object[] { 0.0, 1.0 })!;
        Assert.Equal(new[] { 6.0, 6.0, 6.0, 12.0, 6.0 }, g);
    }

    [Fact]
    public void A_duplicate_parameter_name_is_left_to_the_compiler_and_other_methods_still_generate()
    {
        var result = GeneratorHarness.Run(Scalar + "public static partial class C { [Differentiable] static double F(double a, double a) => a; [Differentiable] public static double G(double x) => x * x; }");
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8785" or "AD0901");
        Assert.Contains(result.Sources, s => s.HintName.Contains("D.C.G.", StringComparison.Ordinal));
        Assert.Contains(result.CompilerErrors(), d => d.Id == "CS0100");
        Assert.Empty(result.AutodiffDiagnostics());
    }

    // ---- fuzz defects: callers of what cannot be generated ----

    [Fact]
    public void A_call_into_a_non_partial_type_is_AD0110_at_the_call_and_the_caller_compiles()
    {
        var result = Run(Scalar + "public static class E { [Differentiable] public static double Sq(double x) => x * x; } public static partial class C { [Differentiable] public static double F(double x) => E.Sq(x) + x; }");
        var calls = result.AutodiffDiagnostics().Where(d => d.Id == "AD0110").ToList();
        Assert.Equal("E.Sq(x)", At(Assert.Single(calls)));
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0002");
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void A_call_into_a_method_whose_generated_names_clash_is_AD0110()
    {
        var result = Run(Scalar + "public static partial class E { [Differentiable] public static double Sq(double x) => x * x; public static int SqVjp; } public static partial class C { [Differentiable] public static double F(double x) => E.Sq(x) + x; }");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0110");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0007");
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void A_layer_of_a_non_partial_model_type_is_AD0110_and_the_model_compiles()
    {
        var result = Run(ModelHeader + "[Model] public sealed class Block { public Tensor W = Tensor.Full(1f, 4); [Differentiable] public Tensor Forward(Tensor x) => x * W; } [Model] public sealed partial class M { public Tensor V = Tensor.Full(1f, 4); [Differentiable] public float Loss(Tensor x) => Tensor.Sum(new Block().Forward(x) * V); }");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0002");
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void A_layer_field_of_a_non_partial_model_type_is_left_out_and_calls_into_it_are_AD0110()
    {
        var result = Run(ModelHeader + "[Model] public sealed class Block { public Tensor W = Tensor.Full(1f, 4); [Differentiable] public Tensor Forward(Tensor x) => x * W; } [Model] public sealed partial class M { public Block B = new(); public Block[] Bs = { new() }; public Tensor V = Tensor.Full(1f, 4); [Differentiable] public float Loss(Tensor x) => Tensor.Sum(B.Forward(x) * V); }");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0002");
        Assert.Equal("B.Forward(x)", At(result.AutodiffDiagnostics().Single(d => d.Id == "AD0110")));
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void A_parenthesised_tensor_in_a_shape_read_works_like_the_plain_one()
    {
        string Source(string h) => ModelHeader + "[Model] public sealed partial class M { public Tensor W = Tensor.Full(1f, 1, 4); [Differentiable] public float Loss(Tensor x) { Tensor h = x * W; return Tensor.Sum(h * (1f / " + h + ".Columns)); } }";
        var plain = Run(Source("h"));
        var parenthesised = Run(Source("(h)"));
        Assert.Empty(parenthesised.AutodiffDiagnostics());
        Assert.Empty(parenthesised.CompilerErrors());
        // The same code, but for the parentheses as written (in the comment, and around the shape read).
        Assert.Equal(plain.Source("M.Loss."), parenthesised.Source("M.Loss.").Replace("(h).Columns", "h.Columns", StringComparison.Ordinal).Replace("(tape.t0!).Columns", "tape.t0!.Columns", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tensor_read_as_a_value_in_a_float_expression_is_AD0112()
    {
        var result = Run(ModelHeader + "[Model] public sealed partial class M { public Tensor W = Tensor.Full(1f, 1, 4); [Differentiable] public float Loss(Tensor x) { Tensor h = x * W; return Tensor.Sum(h * (1f / (h.SameShape(h) ? 1 : 2))); } }");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0112");
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void An_nint_loop_counter_in_model_code_is_AD0111()
    {
        var result = Run(ModelHeader + "[Model] public sealed partial class M { public Tensor W = Tensor.Full(1f, 4); [Differentiable] public float Loss(Tensor x, int n) { for (nint j = 0; j < n; j++) { x = x * W; } return Tensor.Sum(x); } }");
        Assert.Contains("for (int i = c; i < n; i++)", OnlyAutodiff(result, "AD0111").GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void A_type_named_var_does_not_break_generated_code()
    {
        // Sin(s · x[i]) in a loop: s is saved on the tape; F = sin(sin(x0) · x1), no wrapper code using var.
        Type type = GeneratorHarness.Load(Run(Scalar + """
            #pragma warning disable CS8981
            class var { }
            #pragma warning restore CS8981
            public static partial class C
            {
                [Differentiable] public static double F(double[] x) { double s = 1; for (int i = 0; i < x.Length; i++) s = Math.Sin(s * x[i]); return s; }
                public static double[] G(double[] x) { double[] dx = new double[x.Length]; FGradient(x, dx); return dx; }
            }
            """)).GetType("D.C")!;
        var dx = (double[])type.GetMethod("G")!.Invoke(null, new object[] { new[] { 0.3, 1.2 } })!;
        double inner = Math.Sin(0.3);
        Assert.Equal(Math.Cos(inner * 1.2) * 1.2 * Math.Cos(0.3), dx[0], 12);
        Assert.Equal(Math.Cos(inner * 1.2) * inner, dx[1], 12);
    }

    // ---- fuzz defects: wrong derivatives ----

    [Theory]
    [InlineData("ref double r = ref x; r = r * 2; return x;", "ref double r = ref x;")]
    [InlineData("ref double r = ref w[0]; r = r * 2; return w[0];", "ref double r = ref w[0];")]
    public void A_ref_local_is_AD0102_not_a_silent_alias(string body, string comment)
    {
        var result = Run(Scalar + "public static partial class C { [Differentiable] public static double F(double x, double[] w) { " + body + " } }");
        var d = result.AutodiffDiagnostics().First(d => d.Id == "AD0102");
        Assert.Contains("ref locals", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(comment, d.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.CompilerErrors());
    }

    // R steps an int down: linear recursion, which the derivatives run as two loops (LinearRecursion), calling nothing.
    // The second also halves a double on the way down, which stays recursion: one call of itself per level in each mode.
    [Theory]
    [InlineData("R", "n == 0 ? x : Math.Sin(R(x, n - 1)) * x", 0)]
    [InlineData("R", "n == 0 ? x : Math.Sin(R(0.5 * x, n - 1)) * x", 1)]
    public void Both_modes_through_recursion_call_themselves_once_per_level_or_not_at_all(string name, string body, int calls)
    {
        var result = Run(Scalar + "public static partial class C { [Differentiable] public static double " + name + "(double x, int n) => " + body + "; }");
        string jvp = result.Source("D.C.R.").Split("RJvp(double")[1];
        Assert.Equal(calls, jvp.Split("RJvp(", StringSplitOptions.None).Length - 1);

        // Reverse mode: at most one VJP call per level (seeded with 1 in the forward sweep), and no primal call to recompute.
        string vjp = result.Source("D.C.R.").Split("RVjp(double")[1].Split("RGradient(")[0];
        Assert.Equal(calls, vjp.Split("RVjp(", StringSplitOptions.None).Length - 1);
        Assert.DoesNotContain("global::D.C.R(", vjp, StringComparison.Ordinal);

        // And the numbers: depth 40 would take 2^40 calls if it branched.
        Type type = GeneratorHarness.Load(result).GetType("D.C")!;
        var (value, tangent) = ((double, double))type.GetMethod("RJvp")!.Invoke(null, new object[] { 0.7, 40, 1.0 })!;
        double h = 1e-6;
        double Primal(double x) => (double)type.GetMethod("R")!.Invoke(null, new object[] { x, 40 })!;
        Assert.Equal(Primal(0.7), value, 12);
        Assert.Equal((Primal(0.7 + h) - Primal(0.7 - h)) / (2 * h), tangent, 5);
        var gradient = type.GetMethods().Single(m => m.Name == "RGradient");
        object?[] arguments = { 0.7, 40, null };
        Assert.Equal(value, (double)gradient.Invoke(null, arguments)!, 12);
        Assert.Equal(tangent, (double)arguments[2]!, 12);
    }

    [Theory]
    [InlineData("double v = Math.Sqrt(x - 5); double t = v; return x * x;")]                       // computed and dropped
    [InlineData("double r = Math.Sqrt(x - 5); if (y < 5) r = y * x; else r = r + y; return r * x;")] // replaced on the path taken
    [InlineData("double r = Math.Log(x - 5); if (y < 5) { r = y; } return r * x + x * x;")]
    [InlineData("double r = 1 / (x - x); if (y < 5) r = y * x; return r;")]
    [InlineData("double r = Math.Sqrt(x - 5); for (int i = 0; i < 2; i++) { if (y < 5) r = y * x; } return r;")]
    public void A_non_finite_value_that_does_not_reach_the_result_leaves_the_gradient_finite(string body)
    {
        // At x = 1.485, y = 1 each function is differentiable, though an intermediate is NaN or infinite.
        Type type = Compile("[Differentiable] public static double F(double x, double y, double[] w) { " + body + " }", "F", 2);
        double[] p = { 1.485, 1.0 };
        var g = GradientChecker.Grad(type, "F", p, new double[1]);
        Assert.True(double.IsFinite(g.Value) && g.Scalars.All(double.IsFinite), $"value {g.Value}, gradient [{string.Join(", ", g.Scalars)}]");
        GradientChecker.AssertCorrect(type, "F", p, new double[1]);
    }

    [Fact]
    public void An_infinite_tangent_of_an_argument_Clamp_does_not_pick_is_not_NaN()
    {
        // Clamp(x · 1e308 · 10, lo, 1) is 1 for x > 0: its tangent along x is 0, though x · 1e308 · 10 (and its tangent) overflow.
        // Max(-x · 1e308 · 10, lo) is lo: its tangent is lo's.
        Type type = Compile("[Differentiable] public static double F(double x, double lo, double[] w) => Math.Clamp(x * 1e308 * 10, lo, 1.0) + Math.Max(-x * 1e308 * 10, lo) + x;", "F", 2);
        double Along(double tx, double tlo) => (double)type.GetMethod("F__Jvp")!.Invoke(null, new object[] { new[] { 0.5, -1.0 }, new double[1], new[] { tx, tlo }, new double[1] })!;
        Assert.Equal(1.0, Along(1, 0));
        Assert.Equal(1.0, Along(0, 1));
    }
}
