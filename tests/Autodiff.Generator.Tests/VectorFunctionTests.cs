using System.Reflection;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Vector-valued methods (<c>void F(..., [Output] Span&lt;T&gt; r)</c>): Jacobians against the analytic ones and against
/// central differences for tall, wide and square functions, the forward and the reverse mode agreeing column by column
/// and row by row, VJPs and JVPs against the Jacobian, float, early return, calls, allocation, and the diagnostics.
/// </summary>
public class VectorFunctionTests
{
    private const string Source = """
        using System;
        using Autodiff;

        public static partial class V
        {
            // Tall (30 x 2): the Jacobian by columns (JVPs).
            [Differentiable]
            public static void Residuals(ReadOnlySpan<double> p, [NoDerivative] double[] t, [NoDerivative] double[] y, [Output] Span<double> r)
            {
                for (int i = 0; i < t.Length; i++)
                {
                    r[i] = p[0] * Math.Exp(-p[1] * t[i]) - y[i];
                }
            }

            // Wide (3 x n): by rows (VJPs).
            [Differentiable]
            public static void Moments(double[] x, [Output] double[] r)
            {
                double s = 0, q = 0, w = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    s += x[i];
                    q += x[i] * x[i];
                    w += Math.Sin(x[i]) * x[i];
                }

                r[0] = s;
                r[1] = q / x.Length - (s / x.Length) * (s / x.Length);
                r[2] = w * s;
            }

            // Square (2 x 2), an early return, an output read back and overwritten.
            [Differentiable]
            public static void Polar(double radius, double angle, [Output] Span<double> xy)
            {
                xy[0] = radius * Math.Cos(angle);
                xy[1] = radius * Math.Sin(angle);
                if (radius < 0)
                {
                    return;
                }

                xy[1] = xy[1] * xy[0];
            }

            [Differentiable]
            static double Softplus(double a) => Math.Log(1 + Math.Exp(a));

            // Calls, a local array and a loop writing the outputs in reverse order.
            [Differentiable]
            public static void Layer(double[] w, double bias, [NoDerivative] double[] x, [Output] Span<double> h)
            {
                Span<double> z = stackalloc double[h.Length];
                for (int k = 0; k < h.Length; k++)
                {
                    z[k] = bias;
                    for (int i = 0; i < x.Length; i++)
                    {
                        z[k] += w[(k * x.Length + i) % w.Length] * x[i];
                    }
                }

                for (int k = h.Length - 1; k >= 0; k--)
                {
                    h[k] = Softplus(z[k]) * (k + 1);
                }
            }

            [Differentiable]
            public static void PolarF(float radius, float angle, [Output] Span<float> xy)
            {
                xy[0] = radius * MathF.Cos(angle);
                xy[1] = radius * MathF.Sin(angle);
            }

            public static void ResidualsValue(double[] p, double[] t, double[] y, double[] r) => Residuals(p, t, y, r);
            public static void ResidualsJacobianArrays(double[] p, double[] t, double[] y, double[] r, double[,] j) => ResidualsJacobian(p, t, y, r.AsSpan(), j);
            public static void ResidualsVjpRow(double[] p, double[] t, double[] y, double[] r, double[] seed, double[] dp) => ResidualsVjp(p, t, y, r, seed, dp);
            public static void ResidualsJvpColumn(double[] p, double[] t, double[] y, double[] r, double[] tp, double[] tr) => ResidualsJvp(p, t, y, r, tp, tr);
            public static void MomentsVjpRow(double[] x, double[] r, double[] seed, double[] dx) => MomentsVjp(x, r, seed, dx);
            public static void MomentsJvpColumn(double[] x, double[] r, double[] tx, double[] tr) => MomentsJvp(x, r, tx, tr);
            public static void PolarValue(double[] p, double[] xy) => Polar(p[0], p[1], xy);
            public static void PolarJacobianArrays(double[] p, double[] xy, double[,] j) => PolarJacobian(p[0], p[1], xy, j);
            public static void PolarVjpRow(double[] p, double[] xy, double[] seed, double[] d) { PolarVjp(p[0], p[1], xy, seed, out d[0], out d[1]); }
            public static void PolarJvpColumn(double[] p, double[] xy, double[] tp, double[] txy) => PolarJvp(p[0], p[1], xy, tp[0], tp[1], txy);
            public static void LayerValue(double[] w, double bias, double[] x, double[] h) => Layer(w, bias, x, h);
            public static void LayerJacobianArrays(double[] w, double bias, double[] x, double[] h, double[,] j) => LayerJacobian(w, bias, x, h.AsSpan(), j);
            public static void PolarFJacobianArrays(float[] p, float[] xy, float[,] j) => PolarFJacobian(p[0], p[1], xy, j);

            public static long VjpBytes(double[] p, double[] t, double[] y, double[] r, double[] seed, double[] dp)
            {
                ResidualsVjp(p, t, y, r, seed, dp);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 100; i++) ResidualsVjp(p, t, y, r, seed, dp);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        """;

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(Source);
        Assert.Empty(result.AutodiffDiagnostics());
        return GeneratorHarness.Load(result).GetType("V")!;
    });

    private static object? Call(string name, params object[] args)
    {
        try
        {
            return Compiled.Value.GetMethod(name, BindingFlags.Public | BindingFlags.Static, args.Select(a => a.GetType()).ToArray())!.Invoke(null, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static readonly double[] T = Enumerable.Range(0, 30).Select(i => i * 0.1).ToArray();
    private static readonly double[] Y = T.Select(t => 2 * Math.Exp(-0.7 * t) + 0.01 * Math.Sin(7 * t)).ToArray();

    [Fact]
    public void TallResiduals_JacobianIsTheAnalyticOne_AndBothModesAgree()
    {
        double[] p = { 1.8, 0.6 };
        var r = new double[T.Length];
        var j = new double[T.Length, 2];
        Call("ResidualsJacobianArrays", p, T, Y, r, j);
        for (int i = 0; i < T.Length; i++)
        {
            double e = Math.Exp(-p[1] * T[i]);
            Assert.Equal(p[0] * e - Y[i], r[i], 14);
            Assert.Equal(e, j[i, 0], 14);
            Assert.Equal(-p[0] * T[i] * e, j[i, 1], 14);
        }

        AssertModesAgree(j, (seed, row) => Call("ResidualsVjpRow", p, T, Y, new double[T.Length], seed, row), (tangent, column) => Call("ResidualsJvpColumn", p, T, Y, new double[T.Length], tangent, column));
    }

    [Fact]
    public void WideMoments_JacobianMatchesFiniteDifferences_AndBothModesAgree()
    {
        double[] x = { 0.3, -1.1, 2.0, 0.5, 1.4, -0.2, 0.9 };
        var j = new double[3, x.Length];
        var r = new double[3];
        Compiled.Value.GetMethod("MomentsJacobian")!.Invoke(null, new object[] { x, r, j });
        AssertFiniteDifferences(j, x, (point, values) => Compiled.Value.GetMethod("Moments")!.Invoke(null, new object[] { point, values }), 3);
        AssertModesAgree(j, (seed, row) => Call("MomentsVjpRow", x, new double[3], seed, row), (tangent, column) => Call("MomentsJvpColumn", x, new double[3], tangent, column));
    }

    [Theory]
    [InlineData(1.3, 0.7)]
    [InlineData(-0.8, 2.1)]
    public void SquarePolar_WithAnEarlyReturn_MatchesFiniteDifferences(double radius, double angle)
    {
        double[] p = { radius, angle };
        var j = new double[2, 2];
        Call("PolarJacobianArrays", p, new double[2], j);
        AssertFiniteDifferences(j, p, (point, values) => Call("PolarValue", point, values), 2);
        AssertModesAgree(j, (seed, row) => Call("PolarVjpRow", p, new double[2], seed, row), (tangent, column) => Call("PolarJvpColumn", p, new double[2], tangent, column));
    }

    [Fact]
    public void CallsAndLocalArrays_MatchFiniteDifferences()
    {
        double[] w = { 0.4, -0.3, 0.9, 0.2, -0.7 };
        double[] x = { 1.0, -0.5, 0.25 };
        var h = new double[4];
        var j = new double[4, w.Length + 1];
        Call("LayerJacobianArrays", w, 0.1, x, h, j);
        AssertFiniteDifferences(j, w.Append(0.1).ToArray(), (point, values) => Call("LayerValue", point[..^1], point[^1], x, values), 4);
    }

    [Fact]
    public void Float_MatchesTheDoubleJacobian()
    {
        var jf = new float[2, 2];
        Call("PolarFJacobianArrays", new[] { 1.3f, 0.7f }, new float[2], jf);
        Assert.Equal(Math.Cos(0.7), jf[0, 0], 6);
        Assert.Equal(-1.3 * Math.Sin(0.7), jf[0, 1], 6);
        Assert.Equal(Math.Sin(0.7), jf[1, 0], 6);
        Assert.Equal(1.3 * Math.Cos(0.7), jf[1, 1], 6);
    }

    [Fact]
    public void Jacobian_OfTheWrongShape_ThrowsAClearError_AndTheVjpDoesNotAllocate()
    {
        var error = Assert.Throws<ArgumentException>(() => Call("ResidualsJacobianArrays", new[] { 1.0, 0.5 }, T, Y, new double[T.Length], new double[2, 30]));
        Assert.Contains("'jacobian' must be 30 x 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, (long)Call("VjpBytes", new[] { 1.0, 0.5 }, T, Y, new double[T.Length], new double[T.Length], new double[2])!);
    }

    [Fact]
    public void AFloatOutputOfDoubleParameters_HasItsJacobian()
    {
        const string source = """
            using System;
            using Autodiff;
            public static partial class M
            {
                [Differentiable]
                public static void F(double a, float b, [Output] Span<float> r) { r[0] = (float)(a * a) * b; r[1] = b; r[2] = (float)Math.Exp(a); }

                public static float[,] J(double a, float b) { var j = new float[3, 2]; FJacobian(a, b, new float[3], j); return j; }
            }
            """;
        Type type = GeneratorHarness.CompileAndLoad(source).GetType("M")!;
        var j = (float[,])type.GetMethod("J")!.Invoke(null, new object[] { 0.5, 2f })!;
        Assert.Equal(2.0, j[0, 0], 5);
        Assert.Equal(0.25, j[0, 1], 5);
        Assert.Equal(0.0, j[1, 0], 5);
        Assert.Equal(1.0, j[1, 1], 5);
        Assert.Equal(Math.Exp(0.5), j[2, 0], 5);
        Assert.Equal(0.0, j[2, 1], 5);
    }

    [Theory]
    [InlineData("public static void F(double x, [Output] int[] r) { r[0] = (int)x; }", "AD0004")]
    [InlineData("public static double F(double x, [Output] Span<double> r) { r[0] = x; return x; }", "AD0004")]
    [InlineData("public static void F(double x, [Output] Span<double> r, [Output] Span<double> s) { r[0] = x; s[0] = x; }", "AD0003")]
    public void MisdeclaredOutputs_AreReportedOnTheDeclaration(string method, string id)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class D\n{\n[Differentiable] " + method + "\n}\n");
        Assert.Contains(result.AutodiffDiagnostics(), d => d.Id == id);
        Assert.Empty(result.CompilerErrors().Where(e => e.Location.SourceTree is { } tree && result.Sources.Any(s => s.SyntaxTree == tree)));
    }

    [Fact]
    public void ResultsReadBeforeTheyAreWritten_OrNotWritten_KeepTheCallersValues_AsTheMethodDoes()
    {
        const string source = """
            using System;
            using Autodiff;
            public static partial class M
            {
                [Differentiable]
                public static void F(double x, [Output] Span<double> r) { r[1] = r[0] + x; r[0] = x * x; }

                public static double[] Values(double x) { var r = new[] { 5.0, 7.0, 9.0 }; F(x, r); return r; }
                public static double[] JacobianValues(double x, double[,] j) { var r = new[] { 5.0, 7.0, 9.0 }; FJacobian(x, r, j); return r; }
                public static double[] JvpValues(double x, double[] t) { var r = new[] { 5.0, 7.0, 9.0 }; FJvp(x, r, 1.0, t); return r; }
            }
            """;
        Type type = GeneratorHarness.CompileAndLoad(source).GetType("M")!;
        var expected = (double[])type.GetMethod("Values")!.Invoke(null, new object[] { 1.5 })!;
        Assert.Equal(new[] { 2.25, 6.5, 9.0 }, expected);
        var j = new double[3, 1];
        Assert.Equal(expected, (double[])type.GetMethod("JacobianValues")!.Invoke(null, new object[] { 1.5, j })!);
        Assert.Equal(new[] { 3.0, 1.0, 0.0 }, new[] { j[0, 0], j[1, 0], j[2, 0] });
        var t = new double[3];
        Assert.Equal(expected, (double[])type.GetMethod("JvpValues")!.Invoke(null, new object[] { 1.5, t })!);
        Assert.Equal(new[] { 3.0, 1.0, 0.0 }, t);
    }

    [Fact]
    public void ACallOfAVectorValuedMethod_IsDifferentiatedThroughItsBody()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using System; using Autodiff;
            public static partial class D
            {
                [Differentiable] public static void G(double x, [Output] Span<double> r) { r[0] = x; r[1] = -x; }
                [Differentiable] public static double F(double x) { Span<double> r = stackalloc double[2]; G(x, r); return r[0]; }
            }
            """);
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.Empty(result.CompilerErrors());
    }

    // Every row by a VJP with a unit seed and every column by a JVP with a unit tangent equal the Jacobian.
    private static void AssertModesAgree(double[,] j, Action<double[], double[]> vjp, Action<double[], double[]> jvp)
    {
        int m = j.GetLength(0), n = j.GetLength(1);
        for (int i = 0; i < m; i++)
        {
            var seed = new double[m];
            seed[i] = 1;
            var row = new double[n];
            vjp(seed, row);
            for (int k = 0; k < n; k++)
            {
                Assert.True(Math.Abs(row[k] - j[i, k]) <= 1e-12 * Math.Max(1, Math.Abs(j[i, k])), $"VJP row {i}, column {k}: {row[k]:R} vs {j[i, k]:R}");
            }
        }

        for (int k = 0; k < n; k++)
        {
            var tangent = new double[n];
            tangent[k] = 1;
            var column = new double[m];
            jvp(tangent, column);
            for (int i = 0; i < m; i++)
            {
                Assert.True(Math.Abs(column[i] - j[i, k]) <= 1e-12 * Math.Max(1, Math.Abs(j[i, k])), $"JVP column {k}, row {i}: {column[i]:R} vs {j[i, k]:R}");
            }
        }
    }

    private static void AssertFiniteDifferences(double[,] j, double[] at, Action<double[], double[]> f, int m)
    {
        for (int k = 0; k < at.Length; k++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(at[k]));
            double[] plus = (double[])at.Clone(), minus = (double[])at.Clone();
            plus[k] += h;
            minus[k] -= h;
            var fp = new double[m];
            var fm = new double[m];
            f(plus, fp);
            f(minus, fm);
            for (int i = 0; i < m; i++)
            {
                double expected = (fp[i] - fm[i]) / (2 * h);
                Assert.True(Math.Abs(j[i, k] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"J[{i},{k}] = {j[i, k]:R}, finite difference {expected:R}");
            }
        }
    }
}
