using System.Reflection;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Jacobians by columns several at a time (forward mode over lane vectors, <c>LaneJacobian</c>): equal to the Jacobian
/// taken one JVP per column and to central differences, with the columns split over scalar and array parameters and a
/// last chunk of every width (fewer columns than lanes, a multiple of the lanes, one more), in double and float. CI runs
/// these again with AVX-512 off, AVX2 off and no intrinsics, so every lane width and the one-column fallback are tested.
/// </summary>
public class LaneJacobianTests
{
    private const string Source = """
        using System;
        using Autodiff;

        public static partial class L
        {
            // Tall: a column per parameter value, a row per point; loops, a branch, a selection, a running product,
            // a local array and a division.
            [Differentiable]
            public static void Spiral(double a, double[] w, double b, [NoDerivative] double[] t, [Output] Span<double> r)
            {
                var basis = new double[w.Length];
                for (int i = 0; i < t.Length; i++)
                {
                    double power = 1, s = b;
                    for (int k = 0; k < w.Length; k++)
                    {
                        basis[k] = power * Math.Sin(a * t[i] + k);
                        s += w[k] * basis[k];
                        power *= t[i];
                    }

                    double bump = Math.Max(s, 0.1 * s) / (1 + a * a);
                    r[i] = i % 2 == 0 ? bump * Math.Exp(-0.1 * t[i] * b) : Math.Sqrt(1 + s * s) - a * w[i % w.Length];
                }
            }

            [Differentiable]
            public static void SpiralF(float a, float[] w, float b, [NoDerivative] float[] t, [Output] Span<float> r)
            {
                for (int i = 0; i < t.Length; i++)
                {
                    float power = 1, s = b;
                    for (int k = 0; k < w.Length; k++)
                    {
                        s += w[k] * power * MathF.Sin(a * t[i] + k);
                        power *= t[i];
                    }

                    r[i] = MathF.Sqrt(1 + s * s) - a * w[i % w.Length];
                }
            }

            [Differentiable]
            static double Softplus(double z) => Math.Log(1 + Math.Exp(z));

            // A call of another differentiable method: its JVP gives one tangent, so the Jacobian stays column by column.
            [Differentiable]
            public static void Soft(double[] w, [Output] Span<double> r)
            {
                for (int i = 0; i < r.Length; i++)
                {
                    r[i] = Softplus(w[i % w.Length] * (i + 1));
                }
            }

            // A value of the other floating type: its tangent would be cast too, so no lanes.
            [Differentiable]
            public static void Rounded(double[] w, [Output] Span<double> r)
            {
                for (int i = 0; i < r.Length; i++) r[i] = (float)(w[i % w.Length] * (i + 1)) * w[0];
            }

            // Two names that differ only in a leading underscore get lane methods of two names (a name built by trimming
            // the underscores would be one, and the class would not compile).
            [Differentiable]
            public static void Twin(double[] w, [Output] Span<double> r) { for (int i = 0; i < r.Length; i++) r[i] = w[i % w.Length] * w[0]; }

            [Differentiable]
            public static void _Twin(double[] w, [Output] Span<double> r) { for (int i = 0; i < r.Length; i++) r[i] = 2 * w[i % w.Length] * w[0]; }

            public static void RoundedJacobianArrays(double[] w, double[] r, double[,] j) => RoundedJacobian(w, r, j);

            public static void SpiralValue(double[] p, double[] t, double[] r) => Spiral(p[0], p[1..^1], p[^1], t, r);
            public static void SpiralJacobianArrays(double[] p, double[] t, double[] r, double[,] j) => SpiralJacobian(p[0], p[1..^1], p[^1], t, r, j);
            public static void SpiralJvpColumn(double[] p, double[] t, double[] tp, double[] tr) => SpiralJvp(p[0], p[1..^1], p[^1], t, new double[t.Length], tp[0], tp[1..^1], tp[^1], tr);
            public static void SpiralFJacobianArrays(float[] p, float[] t, float[] r, float[,] j) => SpiralFJacobian(p[0], p[1..^1], p[^1], t, r, j);
            public static void SoftValue(double[] w, double[] r) => Soft(w, r);
            public static void SoftJacobianArrays(double[] w, double[] r, double[,] j) => SoftJacobian(w, r, j);
        }
        """;

    private static readonly Lazy<GeneratorHarness.Result> Generated = new(() => GeneratorHarness.Run(Source));

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        Assert.Empty(Generated.Value.AutodiffDiagnostics());
        return GeneratorHarness.Load(Generated.Value).GetType("L")!;
    });

    private static void Call(string name, params object[] args)
    {
        try
        {
            Compiled.Value.GetMethod(name, BindingFlags.Public | BindingFlags.Static, args.Select(a => a.GetType()).ToArray())!.Invoke(null, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    /// <param name="weights">
    /// With a and b, 3 to 19 columns: fewer than 8 (one chunk of the widest lanes, a part of it), 8 and 16 (whole chunks),
    /// and 17 and 19 (a last chunk of one or three columns, the array's columns on both sides of a chunk's edge).
    /// </param>
    /// <param name="points">
    /// The rows: 40 (tall: by columns everywhere), or fewer rows than columns, where the columns are taken over lanes
    /// while ⌈n / lanes⌉ ≤ m (8 columns, 2 rows: with 8 or 4 lanes; 19 columns, 3 rows: with 8) and by rows otherwise.
    /// </param>
    [Theory]
    [InlineData(1, 40)]
    [InlineData(6, 40)]
    [InlineData(14, 40)]
    [InlineData(15, 40)]
    [InlineData(17, 40)]
    [InlineData(6, 2)]
    [InlineData(17, 3)]
    [InlineData(17, 2)]
    public void Spiral_JacobianEqualsOneJvpPerColumn_AndCentralDifferences(int weights, int points)
    {
        var random = new Random(weights);
        double[] p = Enumerable.Range(0, weights + 2).Select(_ => random.NextDouble() * 1.2 - 0.6).ToArray();
        double[] t = Enumerable.Range(0, points).Select(i => 0.05 * i).ToArray();
        int n = p.Length, m = t.Length;
        var r = new double[m];
        var j = new double[m, n];
        Call("SpiralJacobianArrays", p, t, r, j);

        var expected = new double[m];
        Call("SpiralValue", p, t, expected);
        Assert.Equal(expected, r);
        for (int column = 0; column < n; column++)
        {
            var tangent = new double[n];
            tangent[column] = 1;
            var jvp = new double[m];
            Call("SpiralJvpColumn", p, t, tangent, jvp);
            for (int row = 0; row < m; row++)
            {
                Assert.True(Math.Abs(jvp[row] - j[row, column]) <= 1e-12 * (1 + Math.Abs(jvp[row])), $"J[{row}, {column}] = {j[row, column]}, the JVP gives {jvp[row]}");
            }

            const double h = 1e-6;
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[column] += h;
            minus[column] -= h;
            double[] up = new double[m], down = new double[m];
            Call("SpiralValue", plus, t, up);
            Call("SpiralValue", minus, t, down);
            for (int row = 0; row < m; row++)
            {
                double difference = (up[row] - down[row]) / (2 * h);
                Assert.True(Math.Abs(difference - j[row, column]) <= 1e-6 * (1 + Math.Abs(difference)), $"J[{row}, {column}] = {j[row, column]}, central differences give {difference}");
            }
        }
    }

    [Fact]
    public void SpiralF_MatchesTheDoubleJacobian()
    {
        double[] p = { 0.3, 0.2, -0.4, 0.1, 0.5, -0.3, 0.25, 0.15, -0.1, 0.05, 0.2, 0.7 };
        float[] pf = p.Select(x => (float)x).ToArray();
        double[] t = Enumerable.Range(0, 30).Select(i => 0.05 * i).ToArray();
        float[] tf = t.Select(x => (float)x).ToArray();
        var jf = new float[t.Length, p.Length];
        Call("SpiralFJacobianArrays", pf, tf, new float[t.Length], jf);

        // The float method is the double one without the basis, the bump and the even rows' branch: compare by central
        // differences of its double twin, written here.
        for (int column = 0; column < p.Length; column++)
        {
            const double h = 1e-6;
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[column] += h;
            minus[column] -= h;
            for (int row = 0; row < t.Length; row++)
            {
                double difference = (Twin(plus, t[row], row) - Twin(minus, t[row], row)) / (2 * h);
                Assert.True(Math.Abs(difference - jf[row, column]) <= 1e-4 * (1 + Math.Abs(difference)), $"J[{row}, {column}] = {jf[row, column]}, central differences give {difference}");
            }
        }

        static double Twin(double[] p, double t, int i)
        {
            double a = p[0], b = p[^1], power = 1, s = b;
            double[] w = p[1..^1];
            for (int k = 0; k < w.Length; k++)
            {
                s += w[k] * power * Math.Sin(a * t + k);
                power *= t;
            }

            return Math.Sqrt(1 + s * s) - a * w[i % w.Length];
        }
    }

    [Fact]
    public void LaneMethodsAreWritten_ExceptForABodyThatCallsAnotherDifferentiableMethod()
    {
        string spiral = Generated.Value.Source("L.Spiral.");
        Assert.Contains("__SpiralJvpLanes<__TLanes>", spiral, StringComparison.Ordinal);
        Assert.Contains("__SpiralJacobianColumns<global::Autodiff.Generated.AutodiffLanes512<double>>", spiral, StringComparison.Ordinal);
        Assert.Contains("__SpiralFJvpLanes<__TLanes>", Generated.Value.Source("L.SpiralF."), StringComparison.Ordinal);
        Assert.DoesNotContain("JvpLanes", Generated.Value.Source("L.Soft."), StringComparison.Ordinal);
        Assert.DoesNotContain("JvpLanes", Generated.Value.Source("L.Rounded."), StringComparison.Ordinal);
        var rounded = new double[5, 2];
        Call("RoundedJacobianArrays", new[] { 0.5, -0.25 }, new double[5], rounded);
        Assert.Equal(2 * 0.5, rounded[0, 0], 6); // r[0] = (float)(w0) * w0
        Assert.Equal(0.5 * 2, rounded[1, 1], 6); // r[1] = (float)(2 w1) * w0

        double[] w = { 0.4, -0.3, 0.9 };
        var r = new double[7];
        var j = new double[7, 3];
        Call("SoftJacobianArrays", w, r, j);
        for (int row = 0; row < 7; row++)
        {
            double z = w[row % 3] * (row + 1);
            for (int column = 0; column < 3; column++)
            {
                Assert.Equal(column == row % 3 ? (row + 1) / (1 + Math.Exp(-z)) : 0, j[row, column], 12);
            }
        }
    }
}
