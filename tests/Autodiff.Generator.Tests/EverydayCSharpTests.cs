using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// C# as people write it (the issue of that name): int shifts and bitwise operators, <c>Math.CopySign</c>, and the
/// diagnostic for LINQ, each against finite differences or its message.
/// </summary>
public class EverydayCSharpTests
{
    private const string Source = """
        using System;
        using Autodiff;

        public static partial class E
        {
            [Differentiable]
            public static double Bits(double x0, double x1, double[] w)
            {
                int k = w.Length;
                int m = (1 << k) >> 1;
                int mask = m & 6 | k ^ 1;
                double s = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    s += ((i & 1) == 0 ? w[i] : -w[i]) * (mask + (i << 1)) * x0;
                }

                return s + Math.CopySign(x1 * x0, w[0]) + Math.CopySign(2.0, x1) * x1;
            }
        }
        """;

    [Theory]
    [InlineData(0.7, -1.3)]
    [InlineData(-0.4, 0.9)]
    public void ShiftsBitwiseAndCopySign_MatchFiniteDifferences(double x0, double x1)
    {
        Type type = GeneratorHarness.LoadWith(Source, "E", GradientChecker.Wrappers("Bits", 2));
        GradientChecker.AssertCorrect(type, "Bits", new[] { x0, x1 }, new[] { -0.6, 1.1, 0.4 });
        GradientChecker.AssertCorrect(type, "Bits", new[] { x0, x1 }, new[] { 0.8, 1.1 });
    }

    [Theory]
    [InlineData("[Differentiable] public static double A(double x) => y * x;")]
    [InlineData("[Differentiable] public static double B(double x) { double s = Foo(x); return s; }")]
    [InlineData("[Differentiable] public static double C(double x) { var t = x.Bar; return x; }")]
    public void CodeThatDoesNotBind_IsLeftToTheCompilersOwnError(string method)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D { " + method + " }");
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.NotEmpty(result.CompilerErrors());
        Assert.True(result.InputHasErrors());
    }

    [Theory]
    [InlineData(0.7, -1.3)]
    [InlineData(-0.4, 0.9)]
    public void TupleDeconstruction_AndSwaps_MatchFiniteDifferences(double x0, double x1)
    {
        const string source = """
            using System;
            using Autodiff;
            public static partial class T
            {
                [Differentiable]
                public static double Tuples(double x0, double x1, double[] w)
                {
                    var (a, b) = (x0 * x1, Math.Sin(x0));
                    (double c, int n) = (b + w[0], w.Length);
                    for (int i = 0; i < n; i++)
                    {
                        (a, b) = (b, a * w[i] + c);
                    }

                    (a, _) = (a + b * c, 0.0);
                    return a * b - c;
                }
            }
            """;
        GradientChecker.AssertCorrect(GeneratorHarness.LoadWith(source, "T", GradientChecker.Wrappers("Tuples", 2)), "Tuples", new[] { x0, x1 }, new[] { 0.6, -0.8, 1.2 });
    }

    [Fact]
    public void DeconstructingAMethodsResult_IsAD0101ThatSaysWhatWorks()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D { static (double, double) P(double x) => (x, x); [Differentiable] public static double F(double x) { var (a, b) = P(x); return a * b; } }");
        var diagnostic = Assert.Single(result.AutodiffDiagnostics());
        Assert.Equal("AD0101", diagnostic.Id);
        Assert.Contains("tuple literal", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ACallWithoutADerivative_OfConstants_IsAConstant()
    {
        const string source = """
            using System;
            using Autodiff;
            public static partial class K
            {
                static double Table(double c, int n) => c * n + Math.IEEERemainder(c, 2);

                [Differentiable]
                public static double F(double x0, double x1, double[] w)
                {
                    int n = w.Length;
                    double scale = Table(3.0, n) + Math.IEEERemainder(7.5, 2);
                    double sum = 0;
                    for (int i = 0; i < n; i++)
                    {
                        sum += w[i] * Table(i, 2) * x0;
                    }

                    return sum * scale + x1 * Ad.StopGradient(Table(x0, n));
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "K", GradientChecker.Wrappers("F", 2));
        GradientChecker.Gradient g = GradientChecker.Grad(type, "F", new[] { 0.7, 1.1 }, new[] { 0.5, -0.25, 2.0 });
        double scale = 3.0 * 3 + Math.IEEERemainder(3.0, 2) + Math.IEEERemainder(7.5, 2);
        double weighted = 0.5 * 0 + -0.25 * (2 + Math.IEEERemainder(1, 2)) + 2.0 * (4 + Math.IEEERemainder(2, 2));
        Assert.Equal(weighted * scale, g.Scalars[0], 12);
        Assert.Equal(0.7 * 3 + Math.IEEERemainder(0.7, 2), g.Scalars[1], 12);
    }

    [Fact]
    public void ACallWithoutADerivative_OfAValueThatHasOne_IsStillAD0104()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D { static double H(double c) => c; [Differentiable] public static double F(double x) { double c = H(2.0); double v = H(x * c); return v + c; } }");
        var diagnostic = Assert.Single(result.AutodiffDiagnostics());
        Assert.Equal("AD0104", diagnostic.Id);
        Assert.Equal("H(x * c)", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Fact]
    public void Linq_IsAD0102ThatSaysToWriteTheLoop()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using System.Linq; using Autodiff;\npublic static partial class D { [Differentiable] public static double F(double[] w) => w.Sum() * w.Max(); }");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0102" && d.GetMessage().Contains("write the loop", StringComparison.Ordinal));
        Assert.DoesNotContain(result.AutodiffDiagnostics(), d => d.GetMessage().Contains("mark it [Differentiable]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0.7, -1.3)]
    [InlineData(-0.4, 0.9)]
    public void LocalArrays_PassedToArrayParameters_AreDifferentiated(double x0, double x1)
    {
        // A local array passed where a double[] is expected (a differentiable callee, first and second order, and a
        // function without a derivative that reads its length): generated code makes it a real array of its length.
        const string source = """
            using System;
            using Autodiff;

            public static partial class L
            {
                [Differentiable(SecondOrder = true)]
                public static double Wave(double s, double[] w)
                {
                    double t = 0;
                    for (int i = 0; i < w.Length; i++)
                    {
                        t += Math.Sin(s * w[i]) * (i + 1);
                    }

                    return t;
                }

                static double Count(double[] v) => v.Length;

                [Differentiable(SecondOrder = true)]
                public static double F(double x0, double x1, double[] w)
                {
                    double[] local = new double[w.Length + 1];
                    for (int i = 0; i < w.Length; i++)
                    {
                        local[i] = w[i] * x0;
                    }

                    local[w.Length] = x1 * x1;
                    double[] fixedOnes = { 1.0, x0, 2.0 };
                    return Wave(x1, local) + Wave(x0, fixedOnes) * Ad.StopGradient(Count(local)) + Wave(x0 * x1, w);
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "L", SecondOrderChecker.Wrappers("F", 2));
        double[] w = { 0.4, -0.8, 1.3 };
        GradientChecker.AssertCorrect(type, "F", new[] { x0, x1 }, w);
        SecondOrderChecker.AssertCorrect(type, "F", new[] { x0, x1 }, w);
    }

    [Theory]
    [InlineData(0.7, -1.3)]
    [InlineData(-0.4, 0.9)]
    [InlineData(0.3, 25.0)]
    public void LocalFunctions_AreDifferentiatedThroughTheirBodies(double x0, double x1)
    {
        // Static and capturing local functions, expression and block bodies, an early return, a void one that writes a
        // local of the method, called in a loop and after it; first and second derivatives.
        const string source = """
            using System;
            using Autodiff;

            public static partial class LF
            {
                [Differentiable(SecondOrder = true)]
                public static double F(double x0, double x1, double[] w)
                {
                    double scale = 2.0;
                    double s = 0;
                    for (int i = 0; i < w.Length; i++)
                    {
                        double t = Square(w[i] * x0) + SoftPlus(x1 - w[i]);
                        s += t * scale;
                    }

                    Add(x0 * x1);
                    return s + Square(s) * 0.01;

                    static double Square(double x) => x * x;

                    double SoftPlus(double x)
                    {
                        if (x > 20)
                        {
                            return x * scale;
                        }

                        return Math.Log(1 + Math.Exp(x)) * scale;
                    }

                    void Add(double v)
                    {
                        s = s + Math.Sin(v);
                    }
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "LF", SecondOrderChecker.Wrappers("F", 2));
        double[] w = { 0.4, -0.8, 1.3 };
        GradientChecker.AssertCorrect(type, "F", new[] { x0, x1 }, w);
        SecondOrderChecker.AssertCorrect(type, "F", new[] { x0, x1 }, w);
    }

    [Theory]
    [InlineData("double y = Twice(x); return y; double Twice(double v) { if (v < 1) return v; double h = Twice(v / 2); return h * 2; }", "AD0101", "Twice(v / 2)", "cannot call itself")]
    [InlineData("double c = 0; double y = Count(x) + c; return y; double Count(double v) { c = c + 1; return v * v; }", "AD0101", "Count(x)", "writes the method's variable 'c'")]
    [InlineData("double y = x > 0 ? Sq(x) : 0; return y; static double Sq(double v) => v * v;", "AD0102", "Sq(x)", "call it in a statement of its own")]
    public void LocalFunctionsThatCannotBeInlined_AreReportedAtTheCall(string body, string id, string at, string fix)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D\n{\n[Differentiable] public static double F(double x) { " + body + " }\n}\n");
        result.AssertSingle(id, at, fix);
        Assert.Empty(result.CompilerErrors());
    }

    [Theory]
    [InlineData("V2 p", "new V2(p.Y, p.X * 0.5)", "p.X * p.Y", "a method that takes a struct")]
    [InlineData("double[,] p", "p", "p[0, 0]", "a method that takes a two-dimensional array")]
    [InlineData("double[][] p", "p", "p[0][0]", "a method that takes a jagged array")]
    [InlineData("V2[] p", "p", "p[0].X", "a method that takes an array of structs")]
    public void RecursionThroughAShapeDifferentiatedInPlace_SaysWhichShape(string parameter, string argument, string value, string reason)
    {
        // Such methods are differentiated through their bodies where they are called, so they cannot call themselves;
        // the message names the parameter's shape that makes it so.
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic record struct V2(double X, double Y);\npublic static partial class D\n{\n"
            + $"[Differentiable] public static double F({parameter}, int n) {{ if (n == 0) return {value}; double t = F({argument}, n - 1); return t * 2; }}\n}}\n");
        result.AssertSingle("AD0101", "F(" + argument + ", n - 1)", reason + " is differentiated through its body, so it cannot call itself");
        Assert.Empty(result.CompilerErrors());
    }

    [Theory]
    [InlineData(0.7, -1.3)]
    [InlineData(2.4, 0.9)]
    public void StopGradient_AroundAnyCall_IsAConstant_WithoutAD0104OrAD0301(double x0, double x1)
    {
        // A function without a derivative, Math's and the user's, on a varied argument, and a piecewise-constant
        // function, all inside Ad.StopGradient: the value as computed, no derivative through it, and nothing reported.
        const string source = """
            using System;
            using Autodiff;

            public static partial class SG
            {
                static double Helper(double v) => v * 3;

                [Differentiable]
                public static double F(double x0, double x1, double[] w)
                {
                    double a = Ad.StopGradient(Helper(x0)) * x1;
                    double b = Ad.StopGradient(Math.IEEERemainder(x0, 2)) * x1;
                    double c = Ad.StopGradient(x0 * x1 + Math.Round(x0 * w[0])) * x0;
                    return a + b + c;
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "SG", GradientChecker.Wrappers("F", 2));
        double[] w = { 1.3 };
        var gradient = GradientChecker.Grad(type, "F", new[] { x0, x1 }, w);
        double stopped = x0 * x1 + Math.Round(x0 * w[0]);
        Assert.Equal(stopped, gradient.Scalars[0], 12);
        Assert.Equal(x0 * 3 + Math.IEEERemainder(x0, 2), gradient.Scalars[1], 12);
    }
}
