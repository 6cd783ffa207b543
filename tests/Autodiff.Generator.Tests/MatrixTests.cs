using Xunit;
using P = Autodiff.Generator.Tests.ShapeChecker.Parameter;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Two-dimensional arrays, <c>T[,]</c>: parameters (with <c>T[,]</c> adjoints and tangents), locals, element reads and
/// writes, <c>GetLength</c>, initializers, and helpers that take or return matrices (chains of them too), each checked
/// against central differences by <see cref="ShapeChecker"/>.
/// </summary>
public class MatrixTests
{
    private const string Helpers = """
        [Differentiable]
        static double[,] MatMul(double[,] a, double[,] b)
        {
            int n = a.GetLength(0), m = b.GetLength(1), k = a.GetLength(1);
            var c = new double[n, m];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++)
                {
                    double s = 0;
                    for (int l = 0; l < k; l++) s += a[i, l] * b[l, j];
                    c[i, j] = s;
                }
            return c;
        }

        [Differentiable]
        static double[,] Rz(double t)
        {
            double c = Math.Cos(t), s = Math.Sin(t);
            return new double[,] { { c, -s, 0 }, { s, c, 0 }, { 0, 0, 1 } };
        }

        [Differentiable]
        static double[,] Rx(double t)
        {
            double c = Math.Cos(t), s = Math.Sin(t);
            return new double[,] { { 1, 0, 0 }, { 0, c, -s }, { 0, s, c } };
        }

        [Differentiable]
        static double Dot(double[] u, double[] v)
        {
            double s = 0;
            for (int k = 0; k < u.Length; k++) s += u[k] * v[k];
            return s;
        }

        [Differentiable]
        static double[] Scale(double[] u, double a)
        {
            var r = new double[u.Length];
            for (int k = 0; k < u.Length; k++) r[k] = a * u[k];
            return r;
        }

        [Differentiable]
        static double Frobenius(double[,] a)
        {
            double s = 0;
            foreach (double v in a) s += v * v;
            return s;
        }

        """;

    private static void Check(string body, string signature, P[] parameters, object[] arguments)
    {
        string source = $$"""
            using System;
            using Autodiff;
            public static partial class M
            {
            {{Helpers}}
                [Differentiable]
                public static double F({{signature}})
                {
            {{body}}
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "M", ShapeChecker.Wrappers("F", parameters));
        ShapeChecker.AssertCorrect(type, "F", parameters, arguments);
    }

    private static readonly Random Random = new(7);

    [Fact]
    public void ElementsAndCountsOfAParameter()
        => Check("""
                double s = 0;
                for (int i = 0; i < a.GetLength(0); i++)
                    for (int j = 0; j < a.GetLength(1); j++)
                        s += Math.Sin(a[i, j]) * x + a[i, j] * a[i, (j + 1) % a.GetLength(1)];
                return s / a.Length;
            """, "double[,] a, double x", new[] { new P("double[,]"), new P("double") },
            new object[] { ShapeChecker.Matrix(Random, 3, 4), 0.7 });

    [Fact]
    public void LocalMatrixFilledAndRead()
        => Check("""
                int n = a.GetLength(0);
                var b = new double[n, n];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        b[i, j] = a[i, j] * a[j, i] + w[j];
                double s = 0;
                for (int i = 0; i < n; i++) s += b[i, i] * b[i, (i + 1) % n];
                return s;
            """, "double[,] a, double[] w", new[] { new P("double[,]"), new P("double[]") },
            new object[] { ShapeChecker.Matrix(Random, 3, 3), new[] { 0.3, -0.2, 0.9 } });

    [Fact]
    public void ChainsOfHelpersThatReturnMatrices()
        => Check("""
                double[,] r = MatMul(MatMul(Rz(tz), Rx(tx)), a);
                return Frobenius(MatMul(r, a)) + r[0, 1] * r[2, 2];
            """, "double[,] a, double tx, double tz", new[] { new P("double[,]"), new P("double"), new P("double") },
            new object[] { ShapeChecker.Matrix(Random, 3, 3), 0.4, -1.1 });

    [Fact]
    public void InitializerOfRowsAndPassiveMatrices()
        => Check("""
                var m = new double[,] { { x, 2 * x }, { x * x, Math.Exp(x) } };
                double s = 0;
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++)
                        s += m[i, j] * c[i, j] + k[i, j];
                return s;
            """, "double x, [NoDerivative] double[,] c, int[,] k", new[] { new P("double"), new P("double[,]", false), new P("int[,]", false) },
            new object[] { 0.6, ShapeChecker.Matrix(Random, 2, 2), new int[,] { { 1, 2 }, { 3, 4 } } });

    [Fact]
    public void RowsOfAJaggedParameter()
        => Check("""
                double s = 0;
                for (int i = 0; i < xs.Length; i++)
                {
                    double d = 0;
                    for (int j = 0; j < xs[i].Length; j++) d += xs[i][j] * w[j % w.Length];
                    s += Math.Log(1 + Math.Exp(-ys[i] * d));
                }
                return s / xs.Length;
            """, "double[] w, double[][] xs, double[] ys", new[] { new P("double[]"), new P("double[][]"), new P("double[]") },
            new object[] { new[] { 0.5, -0.3, 0.8 }, new[] { new[] { 0.1, 0.7, -0.2 }, new[] { 1.2 }, new[] { -0.4, 0.3, 0.9, 0.2 } }, new[] { 1.0, -1.0, 1.0 } });

    [Fact]
    public void RowsAsViewsForeachLocalsAndHelpers()
        => Check("""
                double s = 0;
                foreach (double[] row in xs)
                    s += Dot(row, w) * Dot(row, row);
                double[] last = xs[xs.Length - 1];
                s += last[0] * Scale(xs[0], last[last.Length - 1])[0];
                return s;
            """, "double[] w, double[][] xs", new[] { new P("double[]"), new P("double[][]") },
            new object[] { new[] { 0.5, -0.3 }, new[] { new[] { 0.1, 0.7 }, new[] { 1.2, -0.5 }, new[] { -0.4, 0.3 } } });

    [Fact]
    public void ForeachOverOneRowOfAJaggedArray()
        => Check("""
                double s = 0;
                for (int i = 0; i < xs.Length; i++)
                {
                    foreach (double v in xs[i])
                    {
                        s += v * v * w[i % w.Length];
                    }

                    foreach (double v in xs[xs.Length - 1 - i]) s += Math.Sin(v) * s;
                }

                return s;
            """, "double[] w, double[][] xs", new[] { new P("double[]"), new P("double[][]") },
            new object[] { new[] { 0.5, -0.3 }, new[] { new[] { 0.1, 0.7 }, new[] { 1.2, -0.5, 0.25 }, new[] { -0.4 } } });

    [Fact]
    public void SecondOrder_WithAMatrixAndAJaggedArray_HessianIsTheGradientsJacobian_AndHvpItsProduct()
    {
        Type type = GeneratorHarness.CompileAndLoad("""
            using System; using System.Linq; using Autodiff;
            public static partial class S
            {
                [Differentiable(SecondOrder = true)]
                public static double Quad(double[,] a, double[] x, double k)
                {
                    double s = 0;
                    for (int i = 0; i < a.GetLength(0); i++)
                        for (int j = 0; j < a.GetLength(1); j++)
                            s += a[i, j] * x[i] * x[j] * k + Math.Sin(a[i, j] * k);
                    return s;
                }

                [Differentiable(SecondOrder = true)]
                public static double Rows(double[][] rows, double k)
                {
                    double s = 0;
                    foreach (double[] row in rows)
                        for (int j = 0; j < row.Length; j++) s += Math.Exp(k * row[j]) * row[0];
                    return s;
                }

                static double[,] M(double[] p) { var a = new double[2, 2]; for (int e = 0; e < 4; e++) a[e / 2, e % 2] = p[e]; return a; }
                static double[][] J(double[] p) => new[] { p[0..2], p[2..3] };

                public static double[] QuadGradientA(double[] p)
                {
                    var da = new double[2, 2];
                    var dx = new double[2];
                    QuadGradient(M(p), p[4..6], p[6], da, dx, out double dk);
                    return da.Cast<double>().Concat(dx).Append(dk).ToArray();
                }

                public static double QuadHessianA(double[] p, double[,] h) => QuadHessian(M(p), p[4..6], p[6], h);
                public static double[] QuadHvpA(double[] p, double[] v)
                {
                    var ha = new double[2, 2];
                    var hx = new double[2];
                    QuadHvp(M(p), p[4..6], p[6], M(v), v[4..6], v[6], ha, hx, out double hk);
                    return ha.Cast<double>().Concat(hx).Append(hk).ToArray();
                }

                public static double[] RowsGradientA(double[] p)
                {
                    double[][] d = { new double[2], new double[1] };
                    RowsGradient(J(p), p[3], d, out double dk);
                    return d.SelectMany(r => r).Append(dk).ToArray();
                }

                public static double RowsHessianA(double[] p, double[,] h) => RowsHessian(J(p), p[3], h);
                public static double[] RowsHvpA(double[] p, double[] v)
                {
                    double[][] h = { new double[2], new double[1] };
                    RowsHvp(J(p), p[3], J(v), v[3], h, out double hk);
                    return h.SelectMany(r => r).Append(hk).ToArray();
                }

                public static double QuadA(double[] p) => Quad(M(p), p[4..6], p[6]);
                public static double RowsA(double[] p) => Rows(J(p), p[3]);
            }
            """).GetType("S")!;

        foreach ((string name, double[] point) in new[] { ("Quad", new[] { 0.3, -0.7, 1.1, 0.4, 0.9, -1.2, 0.6 }), ("Rows", new[] { 0.2, -0.5, 0.8, 0.7 }) })
        {
            int n = point.Length;
            var hessian = new double[n, n];
            double value = (double)GradientChecker.Invoke(type, name + "HessianA", point, hessian)!;
            Assert.Equal((double)GradientChecker.Invoke(type, name + "A", point)!, value, 12);
            for (int column = 0; column < n; column++)
            {
                // Column j of the Hessian: central differences of the generated gradient along value j.
                const double h = 1e-6;
                double[] plus = (double[])point.Clone(), minus = (double[])point.Clone();
                plus[column] += h;
                minus[column] -= h;
                double[] up = (double[])GradientChecker.Invoke(type, name + "GradientA", plus)!;
                double[] down = (double[])GradientChecker.Invoke(type, name + "GradientA", minus)!;
                for (int row = 0; row < n; row++)
                {
                    double difference = (up[row] - down[row]) / (2 * h);
                    Assert.True(Math.Abs(difference - hessian[row, column]) <= 1e-6 * (1 + Math.Abs(difference)), $"{name}: H[{row}, {column}] = {hessian[row, column]}, differences of the gradient give {difference}");
                    Assert.Equal(hessian[row, column], hessian[column, row], 10);
                }
            }

            double[] v = Enumerable.Range(0, n).Select(k => Math.Cos(k + 0.3)).ToArray();
            double[] hv = (double[])GradientChecker.Invoke(type, name + "HvpA", point, v)!;
            for (int row = 0; row < n; row++)
            {
                Assert.Equal(Enumerable.Range(0, n).Sum(column => hessian[row, column] * v[column]), hv[row], 10);
            }
        }
    }

    [Fact]
    public void MatricesOfAnArrayOfMatrices()
        => Check("""
                double s = 0;
                for (int b = 0; b < bones.Length; b++)
                {
                    double[,] r = MatMul(bones[b], Rz(t[b]));
                    s += Frobenius(r) * bones[b][0, bones[b].GetLength(1) - 1];
                }
                return s;
            """, "double[][,] bones, double[] t", new[] { new P("double[][,]"), new P("double[]") },
            new object[] { new[] { ShapeChecker.Matrix(Random, 2, 3), ShapeChecker.Matrix(Random, 3, 3) }, new[] { 0.3, -0.8 } });

    [Fact]
    public void JaggedShapeMismatchIsAClearError()
    {
        string source = """
            using System;
            using Autodiff;
            public static partial class M
            {
                [Differentiable]
                public static double F(double[][] a) => a[0][0] * a[1][0];

                public static void Wrong() => FGradient(new[] { new double[2], new double[1] }, new[] { new double[2], new double[3] });
            }
            """;
        Type type = GeneratorHarness.CompileAndLoad(source).GetType("M")!;
        var error = Assert.Throws<ArgumentException>(() => GradientChecker.Invoke(type, "Wrong"));
        Assert.Equal("Row 1 of 'da' must have the length of row 1 of 'a' (1), but has 3. (Parameter 'da')", error.Message);
    }

    [Theory]
    [InlineData("[Differentiable] public static double F(double[][][] a) => a[0][0][0];", "AD0004", "a", "store the rows one after another in a one-dimensional array")]
    [InlineData("[Differentiable] public static double F(double[,,] a) => a[0, 0, 0];", "AD0004", "a", "use a two-dimensional array T[,], or store the elements in a one-dimensional array")]
    [InlineData("[Differentiable] public static double F(double[,] a) => a[0, 0] * a.GetLength(2);", "AD0102", "a.GetLength(2)", "GetLength of a dimension that a two-dimensional array does not have")]
    [InlineData("[Differentiable] public static double F(double[,] a) => a[0, 0] * Count(a); static int Count(double[,] m) => m.Length;", "AD0104", "Count(a)", "M.Count")]
    [InlineData("[Differentiable] public static double F(double x) { double[,] m = x > 0 ? new double[2, 2] : new double[1, 1]; return x; }", "AD0102", "m = x > 0 ? new double[2, 2] : new double[1, 1]",
        "matrix aliases and matrix values other than new T[rows, columns]")]
    public void UnsupportedMatrixCodeIsDiagnosed(string member, string id, string at, string message)
    {
        var result = GeneratorHarness.Run("using System;\nusing Autodiff;\n\npublic static partial class M\n{\n    " + member + "\n}\n");
        result.AssertSingle(id, at, message);
    }

    [Fact]
    public void ShapeMismatchIsAClearError()
    {
        string source = """
            using System;
            using Autodiff;
            public static partial class M
            {
                [Differentiable]
                public static double F(double[,] a) => a[0, 0] * a[1, 1];

                public static void Wrong() => FGradient(new double[2, 2], new double[2, 3]);
            }
            """;
        Type type = GeneratorHarness.CompileAndLoad(source).GetType("M")!;
        var error = Assert.Throws<ArgumentException>(() => GradientChecker.Invoke(type, "Wrong"));
        Assert.Equal("'da' must have the shape of 'a' (2 x 2), but is 2 x 3. (Parameter 'da')", error.Message);
    }
}
