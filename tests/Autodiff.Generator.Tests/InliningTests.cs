using Microsoft.CodeAnalysis;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Calls of <c>[Differentiable]</c> helpers that return void and fill a span or array argument (vector-valued methods
/// among them): differentiated through their bodies, inlined into the caller's IR. Gradients against finite
/// differences, JVP and VJP (<see cref="GradientChecker"/>), second derivatives, and the cases that stay out.
/// </summary>
public class InliningTests
{
    private const string Source = """
        using System;
        using Autodiff;

        public static partial class H
        {
            [Differentiable]
            public static void Polar(double radius, double angle, [Output] Span<double> xy)
            {
                xy[0] = radius * Math.Cos(angle);
                xy[1] = radius * Math.Sin(angle);
            }

            // Writes only while the running value is small: an early return and a break.
            [Differentiable]
            static void Partial(double x, [NoDerivative] double cap, ReadOnlySpan<double> w, Span<double> z)
            {
                double s = x;
                for (int i = 0; i < z.Length; i++)
                {
                    if (s > cap)
                    {
                        return;
                    }

                    s = s * w[i % w.Length] + Math.Sin(s);
                    z[i] = s;
                    if (z[i] < -5)
                    {
                        break;
                    }
                }
            }

            [Differentiable]
            static void Twice(double a, Span<double> z)
            {
                Polar(a, a * 0.5, z);
                z[0] = z[0] * z[1];
            }

            // A local of its own: two calls must not share it.
            [Differentiable]
            static void Smooth(double a, Span<double> z)
            {
                double t = a * a;
                z[0] = t * Math.Sin(t);
                t = t + a;
                z[1] = t * t;
            }

            [Differentiable]
            public static double Calls(double x0, double x1, double[] w)
            {
                Span<double> s1 = stackalloc double[2];
                Span<double> s2 = stackalloc double[2];
                Smooth(x0 * x1, s1);
                Smooth(x1 - w[1], s2);
                Span<double> p = stackalloc double[2];
                Span<double> q = stackalloc double[2];
                Span<double> z = stackalloc double[4];
                double total = 0;
                for (int k = 0; k < 3; k++)
                {
                    Polar(x0 + k, x1 * w[0], p);
                    total += p[0] * p[1];
                }

                Polar(x1, x0, q);
                Partial(x0, 3.0, w, z);
                Twice(x1 * x0, p);
                return total + q[0] - q[1] * z[1] + z[3] * z[0] + p[0] + s1[0] * s2[1] + s2[0] * s1[1];
            }

            [Differentiable(SecondOrder = true)]
            public static double Second(double x0, double x1, double[] w)
            {
                Span<double> p = stackalloc double[2];
                Polar(x0 * w[0], x1, p);
                return p[0] * p[0] + Math.Exp(p[1]) * x0;
            }
        }
        """;

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        string source = Source + "\npublic static partial class H\n{\n" + GradientChecker.Wrappers("Calls", 2) + SecondOrderChecker.Wrappers("Second", 2) + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics());
        return GeneratorHarness.Load(result).GetType("H")!;
    });

    [Theory]
    [InlineData(0.7, 1.2)]
    [InlineData(-0.4, 0.3)]
    [InlineData(2.5, -0.8)]
    public void HelpersThatFillSpans_AreDifferentiatedThroughTheirBodies(double x0, double x1)
    {
        GradientChecker.AssertCorrect(Compiled.Value, "Calls", new[] { x0, x1 }, new[] { 0.9, -0.6, 1.1 });
    }

    [Fact]
    public void ASecondOrderCaller_HasTheSecondDerivativesThroughTheHelper()
    {
        SecondOrderChecker.AssertCorrect(Compiled.Value, "Second", new[] { 0.6, -0.3 }, new[] { 1.4, 0.2 });
    }

    [Fact]
    public void AHelperInAnotherFile_IsInlinedToo()
    {
        const string helper = """
            using System; using Autodiff;
            public static partial class Other { [Differentiable] public static void Fill(double x, Span<double> z) { for (int i = 0; i < z.Length; i++) z[i] = Math.Pow(x, i); } }
            """;
        const string caller = """
            using System; using Autodiff;
            public static partial class Uses
            {
                [Differentiable] public static double F(double x) { Span<double> z = stackalloc double[4]; Other.Fill(x, z); return z[3] + z[2]; }
                public static double G(double x) { FGradient(x, out double dx); return dx; }
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(caller, helper);
        Assert.Empty(result.AutodiffDiagnostics());
        Type type = GeneratorHarness.Load(result).GetType("Uses")!;
        Assert.Equal(3 * 1.5 * 1.5 + 2 * 1.5, (double)type.GetMethod("G")!.Invoke(null, new object[] { 1.5 })!, 12);
    }

    [Theory]
    [InlineData("[Differentiable] static void R(double x, Span<double> z) { z[0] = x; if (x > 1) R(x / 2, z); }", "R(x, z);", "AD0101")]
    [InlineData("[Differentiable] static void E(double x, Span<double> z) { z[0] = x.GetHashCode(); }", "E(x, z);", "AD0110")]
    [InlineData("[Differentiable] static void P(double x, Span<double> z) { z[0] = x; }", "P(x, w);", "AD0103")]
    public void WhatStaysOut_IsReportedAtTheCall(string helper, string call, string id)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D\n{\n" + helper
            + "\n[Differentiable] public static double F(double x, double[] w) { Span<double> z = stackalloc double[2]; " + call + " return z[0] * x; }\n}\n");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == id);
        Assert.Empty(result.CompilerErrors());
    }

    [Theory]
    [InlineData(0.7, 1.2)]
    [InlineData(-0.4, 2.5)]
    public void AHelperThatReturnsEarly_CalledInALoop_RunsWholeInTheIterationsAfter(double x0, double x1)
    {
        // The first iterations return early (v > cap), the later ones do not: the helper's return flag must start clear
        // at every call (it was set once and stayed set, so every later call skipped its body).
        const string source = """
            using System; using Autodiff;
            public static partial class R
            {
                [Differentiable]
                static void Clip(double v, double cap, Span<double> z)
                {
                    if (v > cap)
                    {
                        z[0] = cap;
                        return;
                    }

                    z[0] = v * v;
                }

                [Differentiable]
                public static double F(double x0, double x1, double[] w)
                {
                    Span<double> z = stackalloc double[1];
                    double s = 0;
                    for (int i = 0; i < w.Length; i++)
                    {
                        Clip(x0 * w[i] + x1 * (3 - i), 2.0, z);
                        s += z[0];
                    }

                    return s;
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "R", GradientChecker.Wrappers("F", 2));
        double[] w = { 0.5, -0.3, 0.8, 0.2 };
        double expected = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double v = x0 * w[i] + x1 * (3 - i);
            expected += v > 2.0 ? 2.0 : v * v;
        }

        Assert.Equal(expected, GradientChecker.Grad(type, "F", new[] { x0, x1 }, w).Value, 12);
        GradientChecker.AssertCorrect(type, "F", new[] { x0, x1 }, w);
    }

    [Theory]
    [InlineData(0.7, 1.2)]
    [InlineData(-0.4, 2.5)]
    public void AHelperWithOutParameters_WritesTheCallersVariables(double x0, double x1)
    {
        // out double x, out var y, out _, and an out argument that the call also reads (its value before the call).
        const string source = """
            using System; using Autodiff;
            public static partial class O
            {
                [Differentiable]
                static void Polar(double r, double t, out double x, out double y)
                {
                    x = r * Math.Cos(t);
                    y = r * Math.Sin(t);
                }

                [Differentiable]
                public static double F(double x0, double x1, double[] w)
                {
                    Polar(x0, x1, out double x, out var y);
                    double s = 0;
                    for (int i = 0; i < w.Length; i++)
                    {
                        Polar(x + w[i], y * x1, out x, out _);
                        s += x * w[i];
                    }

                    return s * y;
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "O", GradientChecker.Wrappers("F", 2));
        double[] w = { 0.5, -0.3, 0.8 };
        GradientChecker.AssertCorrect(type, "F", new[] { x0, x1 }, w);
    }

    [Theory]
    [InlineData("[Differentiable] static void H(double a, ref double b) { b = a * b; }", "ref and in parameters are not supported")]
    [InlineData("[Differentiable] static double H(double a, out double b) { b = a; return a; }", "a void helper may have out parameters")]
    public void RefParameters_AndOutParametersOfMethodsThatReturn_AreAD0004(string helper, string message)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D\n{\n" + helper + "\n}\n");
        var diagnostic = Assert.Single(result.AutodiffDiagnostics());
        Assert.Equal("AD0004", diagnostic.Id);
        Assert.Contains(message, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    private const string ArrayHelpers = """
        using System; using Autodiff;
        public static partial class A
        {
            [Differentiable]
            static double[] Scale(double[] a, double s)
            {
                double[] r = new double[a.Length];
                for (int i = 0; i < a.Length; i++)
                {
                    r[i] = a[i] * s;
                }

                return r;
            }

            [Differentiable]
            static double[] Softmax(double[] z)
            {
                double[] e = new double[z.Length];
                double max = z[0];
                for (int i = 1; i < z.Length; i++)
                {
                    max = Math.Max(max, z[i]);
                }

                double sum = 0;
                for (int i = 0; i < z.Length; i++)
                {
                    e[i] = Math.Exp(z[i] - max);
                    sum += e[i];
                }

                for (int i = 0; i < z.Length; i++)
                {
                    e[i] = e[i] / sum;
                }

                return e;
            }

            [Differentiable]
            static double SumOfSquares(ReadOnlySpan<double> v)
            {
                double s = 0;
                foreach (double x in v)
                {
                    s += x * x;
                }

                return s;
            }

            [Differentiable]
            public static double F(double x0, double x1, double[] w)
            {
                double[] c = Scale(w, x0);
                var p = Softmax(Scale(c, x1));
                double[] q = Scale(Softmax(c), x1 * x1);
                return SumOfSquares(Softmax(c)) + p[0] * x0 + Scale(p, x1)[1] + q[2] + SumOfSquares(Scale(q, 3));
            }
        }
        """;

    [Theory]
    [InlineData(0.7, 1.2)]
    [InlineData(-0.4, 2.5)]
    public void HelpersThatReturnArrays_AreDifferentiatedThroughTheirBodies_InChains(double x0, double x1)
    {
        Type type = GeneratorHarness.LoadWith(ArrayHelpers, "A", GradientChecker.Wrappers("F", 2));
        GradientChecker.AssertCorrect(type, "F", new[] { x0, x1 }, new[] { 0.5, -0.3, 0.8, 1.1 });
    }

    [Theory]
    [InlineData("double[] c = Twice(w); double[] d = Twice(c); return c[0] + d[1] * x;", null)]
    [InlineData("double[] c = ClipOrSame(w, 0.5); return c[0] * x;", "AD0101")]
    [InlineData("double s = 0; for (int i = 0; i < 2; i++) { double[] c = Twice(w); s += c[i] * c[i]; } return s * x;", null)]
    [InlineData("double s = x > 0 ? Twice(w)[0] : 0; return s * x;", "AD0102")]
    [InlineData("double[] c = Either(w, x); return c[0] * x;", "AD0101")]
    public void ArrayReturningHelpers_WhereTheyCanAndCannotBeInlined(string body, string? id)
    {
        string source = """
            using System; using Autodiff;
            public static partial class B
            {
                [Differentiable] static double[] Twice(double[] v) { double[] r = new double[v.Length]; for (int i = 0; i < v.Length; i++) r[i] = 2 * v[i]; return r; }
                [Differentiable] static double[] ClipOrSame(double[] v, double limit) { double[] c = new double[v.Length]; bool any = false; for (int i = 0; i < v.Length; i++) { c[i] = Math.Min(v[i], limit); any = any || v[i] > limit; } if (!any) return v; return c; }
                [Differentiable] static double[] Either(double[] v, double s) { double[] a = new double[v.Length]; double[] b = new double[v.Length]; if (s > 0) return a; return b; }
            """ + "[Differentiable] public static double F(double x, double[] w) { " + body + " }\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        var diagnostics = result.AutodiffDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (id is null)
        {
            Assert.Empty(diagnostics);
            GeneratorHarness.Load(result);
            return;
        }

        Assert.Equal(id, Assert.Single(diagnostics).Id);
        Assert.Empty(result.CompilerErrors());
    }
}
