using System.Reflection;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Guard clauses in differentiable code: <c>throw</c> statements, <c>ThrowIfNull</c>-style calls and <c>Debug.Assert</c>
/// run where the primal runs (gradient, VJP, JVP, HVP, Jacobian) with their messages, and leave the derivatives alone.
/// </summary>
public class GuardTests
{
    private const string Source = """
        using System;
        using System.Diagnostics;
        using Autodiff;

        public static partial class Guarded
        {
            [Differentiable(SecondOrder = true)]
            public static double F(double x0, double x1, double[] w, int n)
            {
                ArgumentNullException.ThrowIfNull(w);
                ArgumentOutOfRangeException.ThrowIfNegative(n);
                if (w.Length == 0)
                {
                    throw new ArgumentException("w must not be  empty", nameof(w));
                }

                double s = x1;
                for (int i = 0; i < w.Length; i++)
                {
                    double v = w[i] * x0 + Math.Sin(s);
                    Debug.Assert(!double.IsNaN(v), "NaN");
                    if (v > 1e6)
                    {
                        throw new InvalidOperationException($"too large at {i}: {v}");
                    }

                    s += v * v * n;
                }

                return s;
            }

            [Differentiable]
            public static void V(double x, [Output] Span<double> r)
            {
                if (r.Length < 2) throw new ArgumentException("r needs two results", nameof(r));
                r[0] = x;
                r[1] = x * x;
            }

            public static void Hvp(double[] w, int n) { var h = new double[w.Length]; FHvp(0.3, 0.2, w, n, 1, 0, new double[w.Length], out _, out _, h); }
            public static void Jvp(double[] w, int n) => FJvp(0.3, 0.2, w, n, 1, 0, new double[w.Length]);
            public static void Jacobian(int m) => VJacobian(0.5, new double[m], new double[m, 1]);
        }
        """;

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        return GeneratorHarness.LoadWith(Source, "Guarded", GradientChecker.Wrappers("F", 2, extra: ", 3"));
    });

    [Fact]
    public void Guards_LeaveTheDerivativesAlone()
    {
        GradientChecker.AssertCorrect(Compiled.Value, "F", new[] { 0.4, -0.3 }, new[] { 0.9, -1.2, 0.5 });
    }

    [Theory]
    [InlineData("Jvp", 0, 3, typeof(ArgumentException), "w must not be  empty")]
    [InlineData("Hvp", 0, 3, typeof(ArgumentException), "w must not be  empty")]
    [InlineData("Jvp", 2, -1, typeof(ArgumentOutOfRangeException), "n")]
    [InlineData("Hvp", 2, -1, typeof(ArgumentOutOfRangeException), "n")]
    public void Guards_ThrowFromEveryDerivative_AsFromTheMethod(string method, int length, int n, Type exception, string message)
    {
        var error = Assert.Throws<TargetInvocationException>(() => Compiled.Value.GetMethod(method)!.Invoke(null, new object[] { new double[length], n }));
        Assert.IsType(exception, error.InnerException);
        Assert.Contains(message, error.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AGuardOnTheOutputsLength_ThrowsFromTheJacobian()
    {
        var error = Assert.Throws<TargetInvocationException>(() => Compiled.Value.GetMethod("Jacobian")!.Invoke(null, new object[] { 1 }));
        Assert.Contains("r needs two results", error.InnerException!.Message, StringComparison.Ordinal);
        Compiled.Value.GetMethod("Jacobian")!.Invoke(null, new object[] { 2 });
    }

    [Fact]
    public void AGuardReadingARenamedLocal_IsAD0101ThatSaysWhy()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using System; using Autodiff;
            public static partial class D
            {
                [Differentiable] public static double F(double x)
                {
                    double s = 0;
                    for (int i = 0; i < 2; i++) { double v = x * i; s += v; }
                    for (int i = 0; i < 2; i++) { double v = s * i; if (v > 100) throw new InvalidOperationException(v.ToString()); s += v; }
                    return s;
                }
            }
            """);
        var diagnostic = Assert.Single(result.AutodiffDiagnostics());
        Assert.Equal("AD0101", diagnostic.Id);
        Assert.Contains("another name in the generated code", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.CompilerErrors());
    }

    private const string ThrowExpressions = """
        using System;
        using Autodiff;

        public static partial class Thrown
        {
            [Differentiable(SecondOrder = true)]
            public static double F(double x0, double x1, double[] w)
            {
                double mean = w.Length > 0 ? x0 / w.Length : throw new ArgumentException("w is empty", nameof(w));
                double s = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    double v = w[i] < -5 ? throw new ArgumentOutOfRangeException(nameof(w), "an element below -5") : w[i] * mean + x1;
                    s += v switch
                    {
                        > 50 => throw new InvalidOperationException("diverged at " + i),
                        > 0 => v * v,
                        _ => Math.Sin(v) * x0,
                    };
                }

                return x1 > 1e6 ? throw new ArgumentOutOfRangeException(nameof(x1)) : s * x1;
            }

            public static void Jvp(double x0, double[] w) => FJvp(x0, 0.5, w, 1, 0, new double[w.Length]);
            public static void Hvp(double x0, double[] w) => FHvp(x0, 0.5, w, 1, 0, new double[w.Length], out _, out _, new double[w.Length]);
            public static void Gradient(double x0, double[] w) => FGradient(x0, 0.5, w, out _, out _, new double[w.Length]);
        }
        """;

    private static readonly Lazy<Type> CompiledThrows = new(() =>
    {
        return GeneratorHarness.LoadWith(ThrowExpressions, "Thrown", SecondOrderChecker.Wrappers("F", 2));
    });

    [Theory]
    [InlineData(0.4, -0.35)]
    [InlineData(1.7, 0.6)]
    public void ThrowExpressions_LeaveTheDerivativesAlone(double x0, double x1)
    {
        double[] w = { 0.9, -1.2, 0.5, 3.0 };
        GradientChecker.AssertCorrect(CompiledThrows.Value, "F", new[] { x0, x1 }, w);
        SecondOrderChecker.AssertCorrect(CompiledThrows.Value, "F", new[] { x0, x1 }, w);
    }

    [Theory]
    [InlineData("Gradient", 1.0, new double[0], typeof(ArgumentException), "w is empty")]
    [InlineData("Jvp", 1.0, new double[0], typeof(ArgumentException), "w is empty")]
    [InlineData("Hvp", 1.0, new[] { 1.0, -6.0 }, typeof(ArgumentOutOfRangeException), "an element below -5")]
    [InlineData("Gradient", 500.0, new[] { 1.0, 0.1 }, typeof(InvalidOperationException), "diverged at 0")]
    [InlineData("Hvp", 500.0, new[] { -1.0, 0.5 }, typeof(InvalidOperationException), "diverged at 1")]
    public void ThrowExpressions_ThrowFromEveryDerivative_AsFromTheMethod(string method, double x0, double[] w, Type exception, string message)
    {
        var error = Assert.Throws<TargetInvocationException>(() => CompiledThrows.Value.GetMethod(method)!.Invoke(null, new object[] { x0, w }));
        Assert.IsType(exception, error.InnerException);
        Assert.Contains(message, error.InnerException!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("double y = x > 0 ? (x < 1 ? x : throw new ArgumentException()) : 0; return y;", "throw new ArgumentException()")]
    [InlineData("double y = 0; while (x > 0 ? true : throw new ArgumentException()) { y += x; x -= 1; } return y;", "throw new ArgumentException()")]
    public void AThrowExpressionThatRunsOnlySometimes_IsAD0102ThatSaysWhere(string body, string at)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D\n{\n[Differentiable] public static double F(double x) { " + body + " }\n}\n");
        result.AssertSingle("AD0102", at, "throw from an if statement");
    }
}
