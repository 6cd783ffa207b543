using System.Reflection;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Vector-valued methods (<c>[Output]</c>) whose parameters are <c>T[,]</c>, jagged arrays, structs and arrays of structs:
/// the public VJP, JVP and Jacobian take and give those shapes (adjoints and tangents of the same shapes), and agree with
/// each other and with central differences; the Jacobian's columns are the differentiable values in parameter order, a
/// matrix's elements row by row, a jagged array's rows one after another, a struct's fields in declaration order.
/// </summary>
public class VectorFlatTests
{
    private const string Source = """
        using System;
        using Autodiff;

        public record struct Vec2(double X, double Y);

        public static partial class F
        {
            // y = tanh(W x + b): a differentiable matrix and a passive data vector.
            [Differentiable]
            public static void Affine(double[,] w, double[] b, [NoDerivative] double[] x, [Output] Span<double> y)
            {
                for (int i = 0; i < y.Length; i++)
                {
                    double s = b[i];
                    for (int j = 0; j < x.Length; j++) s += w[i, j] * x[j];
                    y[i] = Math.Tanh(s);
                }
            }

            // A passive data matrix: no column of its own.
            [Differentiable]
            public static void Model([NoDerivative] double[,] a, double[] p, [Output] Span<double> r)
            {
                for (int i = 0; i < r.Length; i++)
                {
                    double s = 0;
                    for (int j = 0; j < p.Length; j++) s += a[i, j] * Math.Sin(p[j]);
                    r[i] = s * s;
                }
            }

            [Differentiable]
            public static void Spring(Vec2 p, double k, [Output] Span<double> f)
            {
                double len = Math.Sqrt(p.X * p.X + p.Y * p.Y);
                f[0] = -k * (len - 1) * p.X / len;
                f[1] = -k * (len - 1) * p.Y / len;
                f[2] = 0.5 * k * (len - 1) * (len - 1);
            }

            [Differentiable]
            public static void RowNorms(double[][] rows, [Output] Span<double> s)
            {
                for (int i = 0; i < rows.Length; i++)
                {
                    double t = 0;
                    for (int j = 0; j < rows[i].Length; j++) t += rows[i][j] * rows[i][j];
                    s[i] = Math.Sqrt(t) + rows[(i + 1) % rows.Length][0];
                }
            }

            [Differentiable]
            public static void Lengths(Vec2[] ps, [Output] double[] l)
            {
                for (int i = 0; i < ps.Length; i++) l[i] = Math.Sqrt(ps[i].X * ps[i].X + ps[i].Y * ps[i].Y) * (i + 1) + ps[(i + 1) % ps.Length].Y;
            }

            // Arrays in and out, for the test (reflection cannot pass a Span<T>).
            public static void AffineA(double[,] w, double[] b, double[] x, double[] y) => Affine(w, b, x, y);
            public static void AffineJacobianA(double[,] w, double[] b, double[] x, double[] y, double[,] j) => AffineJacobian(w, b, x, y, j);
            public static void AffineVjpA(double[,] w, double[] b, double[] x, double[] y, double[] seed, double[,] dw, double[] db) => AffineVjp(w, b, x, y, seed, dw, db);
            public static void AffineJvpA(double[,] w, double[] b, double[] x, double[] y, double[,] tw, double[] tb, double[] ty) => AffineJvp(w, b, x, y, tw, tb, ty);
            public static void ModelA(double[,] a, double[] p, double[] r) => Model(a, p, r);
            public static void ModelJacobianA(double[,] a, double[] p, double[] r, double[,] j) => ModelJacobian(a, p, r, j);
            public static void SpringA(double[] q, double[] f) => Spring(new Vec2(q[0], q[1]), q[2], f);
            public static void SpringJacobianA(double[] q, double[] f, double[,] j) => SpringJacobian(new Vec2(q[0], q[1]), q[2], f, j);
            public static double[] SpringVjpA(double[] q, double[] seed)
            {
                SpringVjp(new Vec2(q[0], q[1]), q[2], new double[3], seed, out Vec2 dp, out double dk);
                return new[] { dp.X, dp.Y, dk };
            }
            public static void SpringJvpA(double[] q, double[] t, double[] tf) => SpringJvp(new Vec2(q[0], q[1]), q[2], new double[3], new Vec2(t[0], t[1]), t[2], tf);
            public static void RowNormsA(double[][] rows, double[] s) => RowNorms(rows, s);
            public static void RowNormsJacobianA(double[][] rows, double[] s, double[,] j) => RowNormsJacobian(rows, s, j);
            public static void RowNormsVjpA(double[][] rows, double[] s, double[] seed, double[][] drows) => RowNormsVjp(rows, s, seed, drows);
            public static void LengthsA(double[] q, double[] l) => Lengths(Points(q), l);
            public static void LengthsJacobianA(double[] q, double[] l, double[,] j) => LengthsJacobian(Points(q), l, j);
            public static double[] LengthsVjpA(double[] q, double[] seed)
            {
                var d = new Vec2[q.Length / 2];
                LengthsVjp(Points(q), new double[seed.Length], seed, d);
                return d.SelectMany(v => new[] { v.X, v.Y }).ToArray();
            }

            static Vec2[] Points(double[] q) => Enumerable.Range(0, q.Length / 2).Select(i => new Vec2(q[2 * i], q[2 * i + 1])).ToArray();

            // Methods that return an array or a matrix and take such parameters.
            [Differentiable]
            public static double[] Apply([NoDerivative] double[,] a, double[] x)
            {
                var r = new double[a.GetLength(0)];
                for (int i = 0; i < r.Length; i++)
                {
                    double s = 0;
                    for (int j = 0; j < x.Length; j++) s += a[i, j] * Math.Sin(x[j]);
                    r[i] = s;
                }

                return r;
            }

            [Differentiable]
            public static double[,] MatMul(double[,] a, double[,] b)
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
            public static double[] Push(Vec2 p, double[][] rows)
            {
                var r = new double[rows.Length];
                for (int i = 0; i < rows.Length; i++) r[i] = p.X * rows[i][0] + p.Y * p.Y * rows[i][rows[i].Length - 1];
                return r;
            }

            // Structs returned from a struct and from a matrix.
            [Differentiable]
            public static Vec2 Rotate(Vec2 p, double angle) => new Vec2(p.X * Math.Cos(angle) - p.Y * Math.Sin(angle), p.X * Math.Sin(angle) + p.Y * Math.Cos(angle));

            [Differentiable]
            public static Vec2 Transform(double[,] m, Vec2 p) => new Vec2(m[0, 0] * p.X + m[0, 1] * p.Y * p.Y, m[1, 0] * p.X * p.Y + m[1, 1]);

            public static double[] RotateA(double[] q) { Vec2 r = Rotate(new Vec2(q[0], q[1]), q[2]); return new[] { r.X, r.Y }; }
            public static double[] RotateJacobianA(double[] q, double[,] j) { Vec2 r = RotateJacobian(new Vec2(q[0], q[1]), q[2], j); return new[] { r.X, r.Y }; }
            public static double[] RotateJvpA(double[] q, double[] t) => new[] { RotateJvp(new Vec2(q[0], q[1]), q[2], new Vec2(t[0], t[1]), t[2]).Tangent.X, RotateJvp(new Vec2(q[0], q[1]), q[2], new Vec2(t[0], t[1]), t[2]).Tangent.Y };
            public static double[] TransformA(double[] q) { Vec2 r = Transform(M(q), new Vec2(q[4], q[5])); return new[] { r.X, r.Y }; }
            public static void TransformJacobianA(double[] q, double[,] j) => TransformJacobian(M(q), new Vec2(q[4], q[5]), j);
            public static double[] TransformVjpA(double[] q, double[] seed)
            {
                var dm = new double[2, 2];
                TransformVjp(M(q), new Vec2(q[4], q[5]), new Vec2(seed[0], seed[1]), dm, out Vec2 dp);
                return dm.Cast<double>().Concat(new[] { dp.X, dp.Y }).ToArray();
            }

            static double[,] M(double[] q) => new[,] { { q[0], q[1] }, { q[2], q[3] } };

            public static double[] ApplyVjpA(double[,] a, double[] x, double[] seed, double[] dx) => ApplyVjp(a, x, seed, dx);
            public static double[] PushA(double[] q) => Push(new Vec2(q[0], q[1]), new[] { q[2..4], q[4..5] });
            public static double[] PushJacobianA(double[] q, double[,] j) => PushJacobian(new Vec2(q[0], q[1]), new[] { q[2..4], q[4..5] }, j);
            public static double[] PushVjpA(double[] q, double[] seed)
            {
                double[][] drows = { new double[2], new double[1] };
                PushVjp(new Vec2(q[0], q[1]), new[] { q[2..4], q[4..5] }, seed, out Vec2 dp, drows);
                return new[] { dp.X, dp.Y, drows[0][0], drows[0][1], drows[1][0] };
            }
        }
        """;

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("using System.Linq;\n" + Source);
        Assert.Empty(result.AutodiffDiagnostics());
        return GeneratorHarness.Load(result).GetType("F")!;
    });

    private static object? Call(string name, params object[] args)
    {
        try
        {
            return Compiled.Value.GetMethod(name, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    // Central differences of `values` (the flat differentiable values in, the results out) against a Jacobian.
    private static void AssertJacobian(double[,] jacobian, double[] point, Func<double[], double[]> values)
    {
        int m = jacobian.GetLength(0), n = jacobian.GetLength(1);
        Assert.Equal(point.Length, n);
        for (int column = 0; column < n; column++)
        {
            const double h = 1e-6;
            double[] plus = (double[])point.Clone(), minus = (double[])point.Clone();
            plus[column] += h;
            minus[column] -= h;
            double[] up = values(plus), down = values(minus);
            for (int row = 0; row < m; row++)
            {
                double difference = (up[row] - down[row]) / (2 * h);
                Assert.True(Math.Abs(difference - jacobian[row, column]) <= 1e-6 * (1 + Math.Abs(difference)), $"J[{row}, {column}] = {jacobian[row, column]}, central differences give {difference}");
            }
        }
    }

    // seedᵀ J, for a VJP's adjoints laid out flat.
    private static void AssertVjp(double[,] jacobian, double[] seed, double[] adjoint)
    {
        for (int column = 0; column < jacobian.GetLength(1); column++)
        {
            Assert.Equal(Enumerable.Range(0, seed.Length).Sum(row => seed[row] * jacobian[row, column]), adjoint[column], 12);
        }
    }

    private static double[,] Matrix(double[] flat, int rows, int columns)
    {
        var matrix = new double[rows, columns];
        Buffer.BlockCopy(flat, 0, matrix, 0, flat.Length * sizeof(double));
        return matrix;
    }

    private static double[] Flat(double[,] matrix) => matrix.Cast<double>().ToArray();

    [Fact]
    public void AMatrixParameter_ItsElementsAreColumnsRowByRow_AndItsAdjointAndTangentAreMatrices()
    {
        var random = new Random(3);
        double[] point = Enumerable.Range(0, 16).Select(_ => random.NextDouble() - 0.5).ToArray(); // W (4 x 3), then b
        double[] x = { 0.7, -1.1, 0.4 };
        var jacobian = new double[4, 16];
        Call("AffineJacobianA", Matrix(point[..12], 4, 3), point[12..], x, new double[4], jacobian);
        AssertJacobian(jacobian, point, p =>
        {
            var y = new double[4];
            Call("AffineA", Matrix(p[..12], 4, 3), p[12..], x, y);
            return y;
        });

        double[] seed = { 1.0, -0.5, 0.25, 2.0 };
        var dw = new double[4, 3];
        var db = new double[4];
        Call("AffineVjpA", Matrix(point[..12], 4, 3), point[12..], x, new double[4], seed, dw, db);
        AssertVjp(jacobian, seed, Flat(dw).Concat(db).ToArray());

        double[] tangent = Enumerable.Range(0, 16).Select(k => Math.Sin(k + 1.0)).ToArray();
        var ty = new double[4];
        Call("AffineJvpA", Matrix(point[..12], 4, 3), point[12..], x, new double[4], Matrix(tangent[..12], 4, 3), tangent[12..], ty);
        for (int row = 0; row < 4; row++)
        {
            Assert.Equal(Enumerable.Range(0, 16).Sum(column => jacobian[row, column] * tangent[column]), ty[row], 12);
        }

        var wrongShape = Assert.Throws<ArgumentException>(() => Call("AffineVjpA", Matrix(point[..12], 4, 3), point[12..], x, new double[4], seed, new double[3, 4], db));
        Assert.Contains("'dw' must have the shape of 'w' (4 x 3), but is 3 x 4.", wrongShape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APassiveDataMatrix_HasNoColumns()
    {
        double[] a = { 0.5, -1, 2, 0.25, 1.5, -0.75, 1, 1, -2, 0.3, 0.6, 0.9 }; // 6 x 2
        double[] p = { 0.4, -0.9 };
        var jacobian = new double[6, 2];
        Call("ModelJacobianA", Matrix(a, 6, 2), p, new double[6], jacobian);
        AssertJacobian(jacobian, p, q =>
        {
            var r = new double[6];
            Call("ModelA", Matrix(a, 6, 2), q, r);
            return r;
        });
    }

    [Fact]
    public void AStructParameter_GetsAnAdjointAndATangentOfItsType()
    {
        double[] point = { 0.8, 1.3, 2.5 };
        var jacobian = new double[3, 3];
        Call("SpringJacobianA", point, new double[3], jacobian);
        AssertJacobian(jacobian, point, q =>
        {
            var f = new double[3];
            Call("SpringA", q, f);
            return f;
        });

        double[] seed = { 0.3, -1.2, 0.7 };
        AssertVjp(jacobian, seed, (double[])Call("SpringVjpA", point, seed)!);
        var tf = new double[3];
        Call("SpringJvpA", point, new[] { 0.0, 1.0, 0.0 }, tf);
        for (int row = 0; row < 3; row++)
        {
            Assert.Equal(jacobian[row, 1], tf[row], 12);
        }
    }

    [Fact]
    public void AJaggedParameter_ItsRowsAreColumnsOneAfterAnother_AndItsAdjointIsJagged()
    {
        double[][] rows = { new[] { 0.3, -0.4 }, new[] { 1.2, 0.5, -0.7 }, new[] { 0.9 } };
        double[] point = rows.SelectMany(r => r).ToArray();
        var jacobian = new double[3, 6];
        Call("RowNormsJacobianA", rows, new double[3], jacobian);
        AssertJacobian(jacobian, point, q =>
        {
            var s = new double[3];
            Call("RowNormsA", new[] { q[..2], q[2..5], q[5..] }, s);
            return s;
        });

        double[] seed = { 1, 2, 3 };
        double[][] drows = { new double[2], new double[3], new double[1] };
        Call("RowNormsVjpA", rows, new double[3], seed, drows);
        AssertVjp(jacobian, seed, drows.SelectMany(r => r).ToArray());

        double[][] ragged = { new double[2], new double[2], new double[1] };
        var error = Assert.Throws<ArgumentException>(() => Call("RowNormsVjpA", rows, new double[3], seed, ragged));
        Assert.Contains("'drows'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MethodsThatReturnArrays_TakeTheSameShapes()
    {
        // T[] from a passive matrix: the Jacobian sized by its rows, the VJP by the seed.
        double[] a = { 0.5, -1, 2, 0.25, 1.5, -0.75, 1, 1, -2, 0.3, 0.6, 0.9 }; // 4 x 3
        double[] x = { 0.4, -0.9, 1.3 };
        var jacobian = new double[4, 3];
        double[] r = (double[])Call("ApplyJacobian", Matrix(a, 4, 3), x, jacobian)!;
        Assert.Equal((double[])Call("Apply", Matrix(a, 4, 3), x)!, r);
        AssertJacobian(jacobian, x, q => (double[])Call("Apply", Matrix(a, 4, 3), q)!);
        double[] seed = { 1, -2, 0.5, 3 };
        var dx = new double[3];
        Call("ApplyVjpA", Matrix(a, 4, 3), x, seed, dx);
        AssertVjp(jacobian, seed, dx);
        var wrongRows = Assert.Throws<ArgumentException>(() => Call("ApplyJacobian", Matrix(a, 4, 3), x, new double[5, 3]));
        Assert.Contains("'jacobian' must have a row per result of Apply (4), but has 5.", wrongRows.Message, StringComparison.Ordinal);

        // T[,] from two matrices: C = A B, so ∂C[i, j]/∂A[i, l] = B[l, j] and ∂C[i, j]/∂B[l, j] = A[i, l].
        double[,] ma = Matrix(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3), mb = Matrix(new[] { 0.5, -1, 2, 0.25, -0.75, 1.5 }, 3, 2);
        var jmm = new double[4, 12];
        double[,] c = (double[,])Call("MatMulJacobian", ma, mb, jmm)!;
        Assert.Equal(1 * 0.5 + 2 * 2 + 3 * -0.75, c[0, 0], 12);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int l = 0; l < 3; l++)
                {
                    Assert.Equal(mb[l, j], jmm[2 * i + j, 3 * i + l], 12);
                    Assert.Equal(ma[i, l], jmm[2 * i + j, 6 + 2 * l + j], 12);
                }

        var (value, tangent) = ((double[,], double[,]))Call("MatMulJvp", ma, mb, Matrix(new double[] { 1, 0, 0, 0, 0, 0 }, 2, 3), new double[3, 2])!;
        Assert.Equal(c, value);
        Assert.Equal(new[,] { { 0.5, -1 }, { 0, 0 } }, tangent);

        // T[] from a struct and a jagged array: the struct's adjoint is the struct, the jagged array's is jagged.
        double[] point = { 0.7, -1.2, 0.3, 2.0, -0.4 };
        var jp = new double[2, 5];
        Call("PushJacobianA", point, jp);
        AssertJacobian(jp, point, q => (double[])Call("PushA", q)!);
        double[] pushSeed = { 0.5, -1.5 };
        AssertVjp(jp, pushSeed, (double[])Call("PushVjpA", point, pushSeed)!);
    }

    [Fact]
    public void MethodsThatReturnAStruct_FromAStructOrAMatrix_TakeTheSameShapes()
    {
        double[] q = { 0.8, -0.3, 0.6 };
        var jacobian = new double[2, 3];
        Assert.Equal((double[])Call("RotateA", q)!, (double[])Call("RotateJacobianA", q, jacobian)!);
        double c = Math.Cos(0.6), s = Math.Sin(0.6);
        double[,] expected = { { c, -s, -0.8 * s + 0.3 * c }, { s, c, 0.8 * c + 0.3 * s } };
        for (int row = 0; row < 2; row++)
            for (int column = 0; column < 3; column++)
                Assert.Equal(expected[row, column], jacobian[row, column], 12);
        double[] jvp = (double[])Call("RotateJvpA", q, new[] { 0.0, 0.0, 1.0 })!;
        Assert.Equal(expected[0, 2], jvp[0], 12);
        Assert.Equal(expected[1, 2], jvp[1], 12);

        double[] point = { 0.5, -1.2, 0.7, 2.0, 0.9, -0.4 }; // the matrix row by row, then the point
        var jt = new double[2, 6];
        Call("TransformJacobianA", point, jt);
        AssertJacobian(jt, point, p => (double[])Call("TransformA", p)!);
        double[] seed = { 1.5, -0.5 };
        AssertVjp(jt, seed, (double[])Call("TransformVjpA", point, seed)!);
    }

    [Fact]
    public void AStructWithPrivateMembers_KeepsTheMethodAHelper_ThatCompilesAndIsDifferentiatedWhereCalled()
    {
        // Public derivatives read a struct member by member and build one with `with`: a private member rules them out,
        // and the method stays a helper (its derivatives once referenced Opaque._x and did not compile).
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using System; using Autodiff;
            public struct Opaque { private double _x; public Opaque(double x) { _x = x; } public double X => _x; }
            public record struct Open(double X, double Y);
            public static partial class Q
            {
                [Differentiable]
                public static double[] F(Opaque o, double k) { double x = o.X; var r = new double[2]; r[0] = x * k; r[1] = k; return r; }

                [Differentiable]
                public static Opaque Make(Open p) => new Opaque(p.X * p.Y);

                [Differentiable]
                public static double G(double k) { double[] f = F(new Opaque(k), k); Opaque m = Make(new Open(k, 2)); return f[0] * m.X; }
            }
            """);
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.DoesNotContain("FVjp", result.Source("Q.F."), StringComparison.Ordinal);
        Assert.Contains("it is differentiated where it is called", result.Source("Q.Make."), StringComparison.Ordinal);
        // G(k) = (k·k)·(2k) = 2k³, G'(k) = 6k².
        object?[] arguments = { 0.7, null };
        double value = (double)GeneratorHarness.Load(result).GetType("Q")!.GetMethod("GGradient")!.Invoke(null, arguments)!;
        Assert.Equal(2 * 0.343, value, 12);
        Assert.Equal(6 * 0.49, (double)arguments[1]!, 12);
    }

    [Fact]
    public void AnArrayOfStructs_ItsFieldsAreColumnsStructByStruct()
    {
        double[] point = { 0.5, 1.5, -0.7, 0.2, 1.1, -0.9 };
        var jacobian = new double[3, 6];
        Call("LengthsJacobianA", point, new double[3], jacobian);
        AssertJacobian(jacobian, point, q =>
        {
            var l = new double[3];
            Call("LengthsA", q, l);
            return l;
        });

        double[] seed = { 0.5, -1, 2 };
        AssertVjp(jacobian, seed, (double[])Call("LengthsVjpA", point, seed)!);
    }
}
