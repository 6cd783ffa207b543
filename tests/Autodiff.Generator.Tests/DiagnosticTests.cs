using Microsoft.CodeAnalysis;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>One test per diagnostic id: the id, where it points, and what it names. Plus bad input that must not crash.</summary>
public class DiagnosticTests
{
    private static Diagnostic Single(string members, string? extra = null)
    {
        string source = "using System; using Autodiff;\nnamespace D;\npublic static partial class C\n{\n" + members + "\n}\n" + (extra ?? string.Empty);
        var result = GeneratorHarness.Run(source);
        var diagnostics = result.AutodiffDiagnostics();
        Assert.True(diagnostics.Length == 1, "Expected one diagnostic, got:\n" + string.Join("\n", diagnostics));
        // The generator never emits code that does not compile: stubs keep callers compiling.
        var compilerErrors = result.CompilerErrors();
        Assert.True(compilerErrors.IsEmpty, "Compiler errors:\n" + string.Join("\n", compilerErrors));
        return diagnostics[0];
    }

    private static string At(Diagnostic diagnostic) => diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);

    [Fact]
    public void InstanceMethod_ReportsAD0001()
    {
        var d = Single("", "public partial class I { [Differentiable] public double F(double x) => x; }");
        Assert.Equal("AD0001", d.Id);
        Assert.Equal("F", At(d));
    }

    [Fact]
    public void NonPartialType_ReportsAD0002()
    {
        var d = Single("", "public static class N { [Differentiable] public static double F(double x) => x; }");
        Assert.Equal("AD0002", d.Id);
        Assert.Contains("'N'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("double h = C.EHvp(q, 1.0, out double hq); return h * hq;", "C.EHvp(q, 1.0, out double hq)", "third derivatives")]
    [InlineData("double e = EGradient(q, out double dq) * q; return e + dq;", "EGradient(q, out double dq)", "statement of its own")]
    public void CallOfAGeneratedDerivative_ThatStaysOut_ReportsAD0115AtTheCall(string body, string at, string fix)
    {
        var d = Single("[Differentiable(SecondOrder = true)] public static double E(double q) => q * q * q;\n[Differentiable] public static double F(double q) { " + body + " }");
        Assert.Equal("AD0115", d.Id);
        Assert.Equal(at, At(d));
        Assert.Contains(fix, d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void NonFloatingReturn_ReportsAD0003()
    {
        var d = Single("[Differentiable] public static int F(double x) => (int)x;");
        Assert.Equal("AD0003", d.Id);
        Assert.Contains("'int'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void RefParameter_ReportsAD0004()
    {
        var d = Single("[Differentiable] public static double F(ref double x) => x;");
        Assert.Equal("AD0004", d.Id);
        Assert.Equal("x", At(d));
    }

    [Fact]
    public void UnsupportedParameterType_ReportsAD0004()
    {
        var d = Single("[Differentiable] public static double F(decimal x) => (double)x;");
        Assert.Equal("AD0004", d.Id);
        Assert.Contains("decimal", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void GenericMethod_ReportsAD0005()
    {
        var d = Single("[Differentiable] public static double F<T>(double x) => x;");
        Assert.Equal("AD0005", d.Id);
        Assert.Contains("generic", d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("try { return x; } catch { return 0; }", "try/catch/finally")]
    [InlineData("goto end; end: return x;", "goto and label")]
    [InlineData("lock (typeof(C)) { } return x;", "lock")]
    [InlineData("Math.Sin(x); return x;", "expression")]
    public void UnsupportedStatement_ReportsAD0101(string body, string kind)
    {
        var d = Single("[Differentiable] public static double F(double x) { " + body + " }");
        Assert.Equal("AD0101", d.Id);
        Assert.Contains(kind, d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Func<double, double> f = a => a * 2; return f(x);", "UnsupportedType")]
    [InlineData("return new[] { x }.Select(v => v).Sum();", "NoDerivative")]
    [InlineData("return Inst.Value * x;", "instance")]
    public void UnsupportedExpression_ReportsDiagnosticAtTheExpression(string body, string expected)
    {
        string extra = "public class Inst { public static Inst I = new Inst(); public static double Value => 1; }";
        var result = GeneratorHarness.Run("using System; using System.Linq; using Autodiff;\npublic static partial class C\n{\n[Differentiable] public static double F(double x) { " + body + " }\n}\n" + extra);
        var diagnostics = result.AutodiffDiagnostics();
        if (expected == "instance")
        {
            // Static properties are readable (passive); this one is fine.
            Assert.Empty(diagnostics);
            return;
        }

        Assert.NotEmpty(diagnostics);
        Assert.All(diagnostics, d => Assert.StartsWith("AD01", d.Id, StringComparison.Ordinal));
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public void Lambda_ReportsAD0102()
    {
        var d = Single("[Differentiable] public static double F(double x) { return Apply(a => a * x); } static double Apply(Func<double, double> f) => f(1);");
        Assert.Equal("AD0104", d.Id); // the call to Apply has no derivative; reported before its lambda argument
    }

    [Fact]
    public void InstanceField_ReportsAD0102()
    {
        var d = Single("", "public partial class H { double _scale = 2; public static H Instance = new H(); [Differentiable] public static double F(double x) => x * Instance._scale; }");
        Assert.Equal("AD0102", d.Id);
        Assert.Contains("instance fields", d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Instance._scale", At(d));
    }

    [Theory]
    [InlineData("x switch { < 0.0 => -x, > 0.0 => x }", "final discard arm", "x switch { < 0.0 => -x, > 0.0 => x }")]
    [InlineData("Math.Abs(G(x)) switch { < 1.0 => x, _ => 1.0 }", "calls a method", "Math.Abs(G(x))")]
    [InlineData("x switch { double.NaN => 0.0, _ => x }", "NaN constant", "double.NaN")]
    [InlineData("x switch { var v when v > 1.0 => v, _ => 1.0 }", "patterns of this kind", "var v")]
    [InlineData("G(x) is > 1.0 ? x : 1.0", "pattern tests of a value that calls a method", "G(x)")]
    [InlineData("x is double v ? v : 1.0", "patterns of this kind", "double v")]
    public void UnsupportedSwitchExpression_ReportsAD0102(string expression, string named, string at)
    {
        var d = Single("[Differentiable] public static double F(double x) => " + expression + ";\n[Differentiable] public static double G(double x) => x;");
        Assert.Equal("AD0102", d.Id);
        Assert.Contains(named, d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(at, At(d));
    }

    [Theory]
    [InlineData("double r = x; switch ((int)x) { case 1: if (x > 1.5) break; r = 3 * x; break; default: r = 2 * x; break; } return r;",
        "'break;': a break before the end of a section is not supported in a switch statement", "break;")]
    [InlineData("switch ((int)x) { case 1: double t = x; return t; default: t = 2 * x; return t; }",
        "a local declared in one section and used in another is not supported in a switch statement; declare it before the switch", "t")]
    public void UnsupportedSwitchShape_ReportsAD0109(string body, string message, string at)
    {
        var d = Single("[Differentiable] public static double F(double x) { " + body + " }");
        Assert.Equal("AD0109", d.Id);
        Assert.Contains(message, d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(at, At(d));
    }

    [Fact]
    public void StaticFieldWrite_ReportsAD0103()
    {
        var d = Single("static double _last; [Differentiable] public static double F(double x) { _last = x; return x; }");
        Assert.Equal("AD0103", d.Id);
        Assert.Contains("'_last'", d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("_last", At(d));
    }

    [Fact]
    public void ParameterArrayWrite_ReportsAD0103()
    {
        var d = Single("[Differentiable] public static double F(double[] w) { w[0] = 1; return w[0]; }");
        Assert.Equal("AD0103", d.Id);
        Assert.Contains("parameter 'w'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCall_ReportsAD0104()
    {
        var d = Single("static double Opaque(double a) => a; [Differentiable] public static double F(double x) => Opaque(x) * 2;");
        Assert.Equal("AD0104", d.Id);
        Assert.Equal("Opaque(x)", At(d));
        Assert.Contains("C.Opaque", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void MathFunctionWithoutRule_ReportsAD0104()
    {
        var d = Single("[Differentiable] public static double F(double x) => Math.IEEERemainder(x, 2);");
        Assert.Equal("AD0104", d.Id);
        Assert.Contains("Math.IEEERemainder", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddedIncrement_ReportsAD0105()
    {
        var d = Single("[Differentiable] public static double F(double[] w) { int i = 0; double s = w[i++]; return s; }");
        Assert.Equal("AD0105", d.Id);
        Assert.Equal("i++", At(d));
    }

    [Fact]
    public void UnsupportedLocalType_ReportsAD0107()
    {
        var d = Single("[Differentiable] public static double F(double x) { decimal m = 2; return x * (double)m; }");
        Assert.Equal("AD0107", d.Id);
        Assert.Contains("decimal", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ConstantResult_ReportsAD0201()
    {
        var d = Single("[Differentiable] public static double F(double x, int n) => n * 2.0;");
        Assert.Equal("AD0201", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
    }

    [Fact]
    public void FloorOfActiveValue_ReportsAD0301()
    {
        var d = Single("[Differentiable] public static double F(double x) => Math.Floor(x) + x;");
        Assert.Equal("AD0301", d.Id);
        Assert.Equal("Math.Floor(x)", At(d));
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
    }

    [Fact]
    public void FloorOfPassiveValue_ReportsNothing()
    {
        var result = GeneratorHarness.Run("using System; using Autodiff; public static partial class C { [Differentiable] public static double F(double x, int n) => Math.Floor(n / 2.0) * x; }");
        Assert.Empty(result.AutodiffDiagnostics());
    }

    [Fact]
    public void PragmaSuppressesGeneratorWarning()
    {
        var result = GeneratorHarness.Run("using System; using Autodiff; public static partial class C {\n#pragma warning disable AD0301\n[Differentiable] public static double F(double x) => Math.Floor(x) + x;\n#pragma warning restore AD0301\n}");
        // The diagnostic carries a real source location, so the compiler applies the pragma to it.
        var filtered = CompilationWithSuppression(result);
        Assert.Empty(filtered);
    }

    private static IEnumerable<Diagnostic> CompilationWithSuppression(GeneratorHarness.Result result)
    {
        foreach (var d in result.GeneratorDiagnostics.Where(d => d.Id == "AD0301"))
        {
            var tree = d.Location.SourceTree!;
            var text = tree.GetText().ToString();
            // A pragma applies when the location lies between disable and restore.
            int disable = text.IndexOf("#pragma warning disable AD0301", StringComparison.Ordinal);
            int restore = text.IndexOf("#pragma warning restore AD0301", StringComparison.Ordinal);
            Assert.True(d.Location.IsInSource);
            if (!(disable >= 0 && d.Location.SourceSpan.Start > disable && d.Location.SourceSpan.Start < restore))
            {
                yield return d;
            }
        }
    }

    [Fact]
    public void CustomDerivativeWithWrongShape_ReportsAD0302()
    {
        var d = Single("[CustomDerivative(nameof(BadVjp))] static double G(double a) => a; static double BadVjp(double a, out double da) { da = 1; return a; } [Differentiable] public static double F(double x) => G(x);");
        Assert.Equal("AD0302", d.Id);
        Assert.Contains("static double BadVjp(double, double, out double)", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void CallerOfFailingMethod_StillCompiles()
    {
        var result = GeneratorHarness.Run("using System; using Autodiff; public static partial class C { [Differentiable] public static double Bad(double x) { try { return x; } finally { } } [Differentiable] public static double Good(double x) => Bad(x) * 2; }");
        Assert.Single(result.AutodiffDiagnostics());
        Assert.Empty(result.CompilerErrors());
    }

    [Theory]
    [InlineData("[Differentiable] public static double F(double x) { return x +; }")]
    [InlineData("[Differentiable] public static double F(double x) { return Missing(x); }")]
    [InlineData("[Differentiable] public static double F(double x) { double y = UnknownType.Value; return y; }")]
    [InlineData("[Differentiable] public static double F(double x)")]
    [InlineData("[Differentiable] public static double F(double x) { for (;;) { } }")]
    [InlineData("[Differentiable] public static double F(double x) { while (true) { if (x > 0) return x; } }")]
    [InlineData("[Differentiable] public static double F(double x) => F(x);")]
    [InlineData("[Differentiable] public static double F(double x) { double a; return a; }")]
    [InlineData("[Differentiable] [Differentiable] public static double F(double x) => x;")]
    [InlineData("[Differentiable] public static double F(double x) { switch (x) { case 1.0: goto case 2.0; case 2.0: return x; default: return 0; } }")]
    [InlineData("[Differentiable] public static double F(double x) { switch ((int)x) { case 1: switch ((int)(2 * x)) { case 2: return x; default: break; } break; } return x * x; }")]
    [InlineData("[Differentiable] public static double F(double x) => x switch { 1.0 or 2.0 => x, double.PositiveInfinity => 0, _ => x * x };")]
    [InlineData("[Differentiable] public static double F(double x) { switch (x) { } return x; }")]
    [InlineData("[Differentiable] public static double F(double x) { switch ((int)x) { case 1 when G(x) > 0: return x; default: return 1; } } [Differentiable] public static double G(double x) => x;")]
    [InlineData("[Differentiable] public static double F(double x) => (int)x switch { 0 => x, 1 => 2 * x, _ => throw new ArgumentException() };")]
    [InlineData("[Differentiable] public static double F(double x) { double r = 0; for (int i = 0; i < 3; i++) { switch (i) { case 1: continue; case 2: r += x; break; } r += 1; } return r; }")]
    [InlineData("[Differentiable] public static double F(double x) { switch (\"a\") { case \"a\": return x; } return 0; }")]
    [InlineData("[Differentiable] public static double F(double x) { switch (x > 0) { case true: return x; case false: return -x; } return 0; }")]
    [InlineData("[Differentiable] public static double F(double x) => x switch { < 0 => x switch { < -1 => 1, _ => x }, _ => x };")]
    [InlineData("[Differentiable] public static double F(double x) { switch (x) { case < 0: default: return -x; case > 0: return x; } }")]
    [InlineData("[Differentiable] public static double F(double x) => x switch { };")]
    public void MalformedInput_GeneratorDoesNotCrash(string member)
    {
        var result = GeneratorHarness.Run("using System; using Autodiff; public static partial class C { " + member + " }");
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8785" or "AD0901");
        if (!result.InputHasErrors())
        {
            // Valid C# stays valid: the generated code compiles, whether or not the method was supported.
            Assert.Empty(result.CompilerErrors());
        }
    }
}

/// <summary>Every diagnostic's help link names an anchor that docs/diagnostics.md has.</summary>
public class DiagnosticDocsTests
{
    [Fact]
    public void Every_help_link_points_at_a_heading_of_the_diagnostics_page()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Autodiff.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        string page = File.ReadAllText(Path.Combine(root, "docs", "diagnostics.md"));
        var descriptors = typeof(Autodiff.Generator.Diagnostics.DiagnosticDescriptors)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!).ToList();
        Assert.NotEmpty(descriptors);
        foreach (DiagnosticDescriptor descriptor in descriptors)
        {
            Assert.Equal("docs/diagnostics.md#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
            Assert.Contains("\n### " + descriptor.Id + "\n", page, StringComparison.Ordinal);
        }
    }
}
