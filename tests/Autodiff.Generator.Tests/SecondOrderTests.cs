using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Second derivatives (<c>[Differentiable(SecondOrder = true)]</c>): Hessians of the classic functions against their
/// analytic Hessians and against central differences of the generated gradient, symmetry, Hessian-vector products,
/// directional derivatives and their VJPs, second-order calls, float, and the diagnostics.
/// </summary>
public class SecondOrderTests
{
    private const string Functions = """
        using System;
        using Autodiff;

        public static partial class S
        {
            [Differentiable(SecondOrder = true)]
            public static double Rosenbrock(double[] w)
            {
                double s = 0;
                for (int i = 0; i + 1 < w.Length; i++)
                {
                    double a = w[i + 1] - w[i] * w[i];
                    double b = 1 - w[i];
                    s += 100 * a * a + b * b;
                }

                return s;
            }

            [Differentiable(SecondOrder = true)]
            public static double Beale(double x, double y, double[] w)
                => (1.5 - x + x * y) * (1.5 - x + x * y) + Math.Pow(2.25 - x + x * y * y, 2) + (2.625 - x + x * y * y * y) * (2.625 - x + x * y * y * y);

            [Differentiable(SecondOrder = true)]
            public static double CrossEntropy(double[] w)
            {
                double z = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    z += Math.Exp(w[i]);
                }

                return Math.Log(z) - w[0];
            }

            [Differentiable(SecondOrder = true)]
            public static double LogSumExp(double[] w)
            {
                double m = w[0];
                for (int i = 1; i < w.Length; i++)
                {
                    m = Math.Max(m, w[i]);
                }

                double s = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    s += Math.Exp(w[i] - m);
                }

                return m + Math.Log(s);
            }

            [Differentiable(SecondOrder = true)]
            public static double Product(double[] w)
            {
                double p = 1;
                for (int i = 0; i < w.Length; i++)
                {
                    p *= w[i];
                }

                return p;
            }

            [Differentiable(SecondOrder = true)]
            public static double Inner(double a, double b) => a * a * b + Math.Sin(b) / (1 + a * a);

            [Differentiable(SecondOrder = true)]
            public static double Norm(ReadOnlySpan<double> v)
            {
                double s = 0;
                for (int i = 0; i < v.Length; i++)
                {
                    s += v[i] * v[i];
                }

                return Math.Sqrt(s + 1);
            }

            [Differentiable(SecondOrder = true)]
            public static double Calls(double x, double y, double[] w)
            {
                double[] scaled = new double[w.Length];
                for (int i = 0; i < w.Length; i++)
                {
                    scaled[i] = x * w[i];
                }

                double total = Inner(x, y) * Math.Exp(w[0]) + Norm(scaled) + Norm(w);
                for (int i = 0; i < w.Length; i++)
                {
                    total += Inner(w[i], y);
                }

                return total;
            }

            [Differentiable(SecondOrder = true)]
            public static double Power(double x, int n) => n == 0 ? 1 : x * Power(x, n - 1);

            [Differentiable(SecondOrder = true)]
            public static double Recursive(double x, double y, double[] w) => Power(x * y, 3) + Math.Tanh(w[0] * x);

            // A continued fraction (1 / (x + 1.1 / (x + 1.2 / ... (x + y)))), twelve levels of recursion.
            [Differentiable(SecondOrder = true)]
            public static double Continued(double x, double y, int i) => i == 12 ? y : (1 + 0.1 * i) / (x + Continued(x, y, i + 1));

            // The same with x shrinking at each level: a double argument that changes keeps it recursion.
            [Differentiable(SecondOrder = true)]
            public static double Shrinking(double x, double y, int i) => i == 12 ? y : (1 + 0.1 * i) / (x + Shrinking(0.9 * x, y, i + 1));

            [Differentiable(SecondOrder = true)]
            public static double Fraction(double x, double y, double[] w) => Continued(x * w[0], y, 0) + w[1] * Continued(y, x, 6) + Shrinking(x, y * w[0], 4);

            [Differentiable(SecondOrder = true)]
            public static double Branches(double x, double y, double[] w)
            {
                double r = Math.Abs(x) + Math.Min(y * y, 4) + Math.Clamp(w[0] * x, -1, 1);
                if (x * y > 0.1)
                {
                    r += x * x * x / y;
                }
                else
                {
                    r -= Math.Log(1 + y * y) * Math.Atan2(x, 2) + Math.Sqrt(2 + Math.Cos(w[1]));
                }

                return r * (x > 0 ? Math.Exp(x) : Math.Cosh(y));
            }

            [Differentiable(SecondOrder = true)]
            public static double Nearest(double x, double y, double[] w)
            {
                double cost = 0;
                for (int i = 0; i < 5; i++)
                {
                    double best = double.PositiveInfinity;
                    for (int c = 0; c < w.Length; c++)
                    {
                        double d = 0.3 * i - w[c] * x;
                        best = Math.Min(best, d * d + y * w[c]);
                    }

                    cost += best;
                }

                return cost;
            }

            [Differentiable(SecondOrder = true)]
            public static double SoftTop(double x, double y, double[] w)
            {
                double best = x;
                for (int c = 0; c < w.Length; c++)
                {
                    double e = Math.Exp(w[c] * y);
                    best = Math.Max(best, e * w[c] - x * x);
                }

                return Math.Tanh(best) * y + best * best;
            }

            [Differentiable(SecondOrder = true)]
            public static float RosenbrockF(float[] w)
            {
                float s = 0;
                for (int i = 0; i + 1 < w.Length; i++)
                {
                    float a = w[i + 1] - w[i] * w[i];
                    float b = 1 - w[i];
                    s += 100 * a * a + b * b;
                }

                return s;
            }
        }
        """;

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        string wrappers = string.Join("\n",
            new[] { ("Rosenbrock", 0), ("CrossEntropy", 0), ("LogSumExp", 0), ("Product", 0), ("Beale", 2), ("Calls", 2), ("Recursive", 2), ("Fraction", 2), ("Branches", 2), ("Nearest", 2), ("SoftTop", 2) }
                .Select(f => SecondOrderChecker.Wrappers(f.Item1, f.Item2)));
        wrappers += "\n" + SecondOrderChecker.Wrappers("RosenbrockF", 0, "float");
        string source = Functions + "\npublic static partial class S\n{\n" + wrappers + "\n}\n";
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.AutodiffDiagnostics());
        return GeneratorHarness.Load(result).GetType("S")!;
    });

    [Fact]
    public void Rosenbrock_HessianIsTheAnalyticOne()
    {
        double[] w = { -1.2, 1.0, 0.7, 1.3, -0.4 };
        double[,] h = SecondOrderChecker.Hessian(Compiled.Value, "Rosenbrock", Array.Empty<double>(), w);
        var expected = new double[w.Length, w.Length];
        for (int i = 0; i + 1 < w.Length; i++)
        {
            expected[i, i] += 1200 * w[i] * w[i] - 400 * w[i + 1] + 2;
            expected[i + 1, i + 1] += 200;
            expected[i, i + 1] = expected[i + 1, i] = -400 * w[i];
        }

        AssertClose(expected, h, 1e-12);
        AssertChecks("Rosenbrock", Array.Empty<double>(), w);
    }

    [Fact]
    public void Beale_HessianIsTheAnalyticOne()
    {
        double x = 1.3, y = -0.6;
        double[] c = { 1.5, 2.25, 2.625 };
        var expected = new double[2, 2];
        for (int k = 1; k <= 3; k++)
        {
            // u = c - x + x y^k: H += 2 (∇u ∇uᵀ + u ∇²u)
            double u = c[k - 1] - x + x * Math.Pow(y, k);
            double[] g = { Math.Pow(y, k) - 1, k * x * Math.Pow(y, k - 1) };
            double[,] second = { { 0, k * Math.Pow(y, k - 1) }, { k * Math.Pow(y, k - 1), k * (k - 1) * x * Math.Pow(y, Math.Max(0, k - 2)) } };
            for (int i = 0; i < 2; i++)
            {
                for (int j = 0; j < 2; j++)
                {
                    expected[i, j] += 2 * (g[i] * g[j] + u * second[i, j]);
                }
            }
        }

        AssertClose(expected, SecondOrderChecker.Hessian(Compiled.Value, "Beale", new[] { x, y }, Array.Empty<double>()), 1e-12);
        AssertChecks("Beale", new[] { x, y }, Array.Empty<double>());
    }

    [Theory]
    [InlineData("CrossEntropy")]
    [InlineData("LogSumExp")]
    public void SoftmaxFunctions_HessianIsDiagSMinusSST(string name)
    {
        double[] w = { 0.3, -1.1, 2.0, 0.5 };
        double z = w.Sum(Math.Exp);
        double[] s = w.Select(v => Math.Exp(v) / z).ToArray();
        var expected = new double[w.Length, w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            for (int j = 0; j < w.Length; j++)
            {
                expected[i, j] = (i == j ? s[i] : 0) - s[i] * s[j];
            }
        }

        AssertClose(expected, SecondOrderChecker.Hessian(Compiled.Value, name, Array.Empty<double>(), w), 1e-12);
        AssertChecks(name, Array.Empty<double>(), w);
    }

    [Fact]
    public void RunningProduct_HessianIsTheProductOfTheOthers()
    {
        double[] w = { 1.5, -0.7, 2.2, 0.9 };
        var expected = new double[w.Length, w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            for (int j = 0; j < w.Length; j++)
            {
                expected[i, j] = i == j ? 0 : Enumerable.Range(0, w.Length).Where(k => k != i && k != j).Aggregate(1.0, (p, k) => p * w[k]);
            }
        }

        AssertClose(expected, SecondOrderChecker.Hessian(Compiled.Value, "Product", Array.Empty<double>(), w), 1e-12);
        AssertChecks("Product", Array.Empty<double>(), w);
    }

    [Theory]
    [InlineData("Calls")]
    [InlineData("Recursive")]
    [InlineData("Branches")]
    public void CallsRecursionAndBranches_MatchFiniteDifferencesOfTheGradient(string name)
    {
        foreach (double[] p in new[] { new[] { 0.8, 1.3 }, new[] { -0.6, 0.4 }, new[] { 1.1, -0.9 } })
        {
            AssertChecks(name, p, new[] { 0.4, -0.3, 0.9 });
        }
    }

    [Fact]
    public void RecursiveSecondDerivatives_CallOneDirectionalVjpPerLevel()
    {
        // The tangent program needs both the callee's value and its directional derivative; the directional VJP gives
        // both (its out value), so a level calls the next level once: linear in the depth, not quadratic. Continued
        // steps an int only, so its derivatives run the recursion as loops and call nothing.
        GeneratorHarness.Result result = GeneratorHarness.Run(Functions);
        string code = result.Source("S.Shrinking.");
        int start = code.IndexOf(" ShrinkingDirectionalVjp(", StringComparison.Ordinal);
        string directionalVjp = code[start..code.IndexOf(" ShrinkingHvp(", StringComparison.Ordinal)];
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(directionalVjp, @"ShrinkingDirectionalVjp\(__v, y, i \+ 1, 0\.9 \* tx, ty, 1\.0, (out __p\w+, ){4}out __pv"));
        Assert.DoesNotContain("ShrinkingVjp(", directionalVjp, StringComparison.Ordinal);
        string hvp = code[code.IndexOf(" ShrinkingHvp(", StringComparison.Ordinal)..code.IndexOf(" ShrinkingHessian(", StringComparison.Ordinal)];
        Assert.DoesNotContain("ShrinkingVjp(", hvp, StringComparison.Ordinal);
        string continued = result.Source("S.Continued.");
        string loops = continued[continued.IndexOf(" ContinuedDirectionalVjp(", StringComparison.Ordinal)..continued.IndexOf(" ContinuedHvp(", StringComparison.Ordinal)];
        Assert.DoesNotMatch(@"ContinuedDirectionalVjp\([^)]*i \+ 1", loops);
        Assert.Contains("the recursion as a loop", loops, StringComparison.Ordinal);
        Assert.DoesNotContain("ContinuedVjp(", loops, StringComparison.Ordinal);
        foreach (double[] p in new[] { new[] { 0.8, 1.3 }, new[] { 1.6, 0.4 }, new[] { 1.1, 2.9 } })
        {
            AssertChecks("Fraction", p, new[] { 0.9, -0.3 });
        }
    }

    [Theory]
    [InlineData("Nearest")]
    [InlineData("SoftTop")]
    public void RunningMinimaAndMaxima_TakeTheTangentAtThePickedIteration(string name)
    {
        // The minimum alone (inactive in the tangent program) and with its own adjoint (read by Tanh afterwards).
        GeneratorHarness.Result result = GeneratorHarness.Run(Functions);
        string code = result.Source("S." + name + ".");
        int hvp = code.IndexOf(" " + name + "Hvp(", StringComparison.Ordinal);
        Assert.Contains("picked last)", code[hvp..], StringComparison.Ordinal);
        Assert.DoesNotContain(".Push(", code[hvp..code.IndexOf(" " + name + "Hessian(", StringComparison.Ordinal)], StringComparison.Ordinal);
        foreach (double[] p in new[] { new[] { 0.8, 1.3 }, new[] { -0.6, 0.4 }, new[] { 1.1, -0.9 } })
        {
            AssertChecks(name, p, new[] { 0.4, -0.3, 0.9, 1.7 });
        }
    }

    [Fact]
    public void Float_MatchesFiniteDifferences()
    {
        SecondOrderChecker.AssertCorrect(Compiled.Value, "RosenbrockF", Array.Empty<double>(), new[] { -1.2, 1.0, 0.7 }, tolerance: 2e-2, step: 1e-2);
    }

    [Fact]
    public void MixedFloatAndDoubleParameters_HaveTheAnalyticHessian()
    {
        const string source = """
            using System;
            using Autodiff;
            public static partial class M
            {
                [Differentiable(SecondOrder = true)]
                public static double F(float a, double b, float[] w) => a * b + Math.Sin(a) * w[0];

                public static double[,] H(float a, double b, float[] w) { var h = new double[3, 3]; FHessian(a, b, w, h); return h; }
            }
            """;
        Type type = GeneratorHarness.CompileAndLoad(source).GetType("M")!;
        var h = (double[,])type.GetMethod("H")!.Invoke(null, new object[] { 0.5f, 1.25, new[] { 2.0f } })!;
        double[,] expected = { { -Math.Sin(0.5) * 2, 1, Math.Cos(0.5) }, { 1, 0, 0 }, { Math.Cos(0.5), 0, 0 } };
        AssertClose(expected, h, 1e-6);
    }

    [Fact]
    public void AParameterNamedLikeItsMethod_DoesNotHideTheCallsOfTheGeneratedCode()
    {
        // Found by fuzzing: FHessian returned x(x, w) where x was the parameter.
        const string source = """
            using System;
            using Autodiff;
            public static partial class P
            {
                [Differentiable(SecondOrder = true)]
                public static double x(double x, double[] w) => x * x * w[0];

                [Differentiable]
                public static void v(double v, [Output] Span<double> vJvp) { vJvp[0] = v * v; }
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
    }

    [Fact]
    public void Hessian_OfTheWrongShape_ThrowsAClearError()
    {
        MethodInfo method = Compiled.Value.GetMethod("RosenbrockHessian")!;
        var error = Assert.Throws<TargetInvocationException>(() => method.Invoke(null, new object[] { new[] { 1.0, 2.0, 3.0 }, new double[2, 3] }));
        var argument = Assert.IsType<ArgumentException>(error.InnerException);
        Assert.Contains("'hessian' must be 3 x 3", argument.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondOrderCaller_OfAFirstOrderCallee_IsAD0114AtTheCall()
    {
        const string source = """
            using Autodiff;
            public static partial class D
            {
                [Differentiable]
                public static double G(double a) => a * a;

                [Differentiable(SecondOrder = true)]
                public static double F(double x) => G(x) + x;
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(result.AutodiffDiagnostics());
        Assert.Equal("AD0114", diagnostic.Id);
        Assert.Contains("[Differentiable(SecondOrder = true)]", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("G(x)", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Fact]
    public void SecondOrderNames_ClashWithTheUsersMembers_IsAD0007()
    {
        const string source = """
            using Autodiff;
            public static partial class D
            {
                [Differentiable(SecondOrder = true)]
                public static double F(double x) => x * x;

                public static int FHvp;
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == "AD0007" && d.GetMessage().Contains("FHvp", StringComparison.Ordinal));
    }

    [Fact]
    public void NewtonSteps_WithTheGeneratedHessian_ConvergeQuadratically_AndTheHvpDoesNotAllocate()
    {
        // The example of docs/second-order.md.
        const string source = """
            using System;
            using Autodiff;
            public static partial class Fit
            {
                [Differentiable(SecondOrder = true)]
                public static double Loss(double[] w, [NoDerivative] double[] x, [NoDerivative] double[] y)
                {
                    double s = 0;
                    for (int i = 0; i < x.Length; i++)
                    {
                        double r = Math.Tanh(w[0] * x[i] + w[1]) - y[i];
                        s += r * r;
                    }

                    return s + 0.01 * (w[0] * w[0] + w[1] * w[1]);
                }

                public static double[] Newton(double[] w, double[] x, double[] y, int steps)
                {
                    var g = new double[2];
                    var h = new double[2, 2];
                    var norms = new double[steps + 1];
                    for (int k = 0; ; k++)
                    {
                        LossGradient(w, x, y, g);
                        norms[k] = Math.Sqrt(g[0] * g[0] + g[1] * g[1]);
                        if (k == steps) return norms;
                        LossHessian(w, x, y, h);
                        double det = h[0, 0] * h[1, 1] - h[0, 1] * h[1, 0];
                        w[0] -= (h[1, 1] * g[0] - h[0, 1] * g[1]) / det;
                        w[1] -= (h[0, 0] * g[1] - h[1, 0] * g[0]) / det;
                    }
                }

                public static long HvpBytes(double[] w, double[] x, double[] y, double[] v)
                {
                    var hv = new double[2];
                    LossHvp(w, x, y, v, hv);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 100; i++) LossHvp(w, x, y, v, hv);
                    return GC.GetAllocatedBytesForCurrentThread() - before;
                }
            }
            """;
        Type type = GeneratorHarness.CompileAndLoad(source).GetType("Fit")!;
        double[] x = Enumerable.Range(0, 40).Select(i => -2 + i * 0.1).ToArray();
        double[] y = x.Select(v => Math.Tanh(0.8 * v - 0.3)).ToArray();
        var norms = (double[])type.GetMethod("Newton")!.Invoke(null, new object[] { new[] { 0.5, 0.0 }, x, y, 6 })!;
        Assert.True(norms[6] < 1e-12, $"gradient norms {string.Join(", ", norms)}");
        Assert.True(norms[5] < 1e-5 && norms[6] < norms[5] * norms[5] * 1e3, $"not quadratic: {string.Join(", ", norms)}");
        Assert.Equal(0L, (long)type.GetMethod("HvpBytes")!.Invoke(null, new object[] { new[] { 0.5, 0.0 }, x, y, new[] { 0.3, -0.4 } })!);
    }

    private static void AssertChecks(string name, double[] p, double[] w)
    {
        SecondOrderChecker.AssertCorrect(Compiled.Value, name, p, w);
    }

    private static void AssertClose(double[,] expected, double[,] actual, double tolerance)
    {
        for (int i = 0; i < expected.GetLength(0); i++)
        {
            for (int j = 0; j < expected.GetLength(1); j++)
            {
                double scale = Math.Max(1, Math.Abs(expected[i, j]));
                Assert.True(Math.Abs(expected[i, j] - actual[i, j]) <= tolerance * scale, $"H[{i},{j}] = {actual[i, j]:R}, expected {expected[i, j]:R}");
            }
        }
    }
}
