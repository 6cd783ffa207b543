using System.Runtime.CompilerServices;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Methods that return a <c>double[]</c>: besides being inlined where they are called, each gets <c>FVjp(p, seed, dp)</c>,
/// <c>FJvp(p, tp)</c> and <c>FJacobian(p, jacobian)</c>, the design of the vector-valued methods. The Jacobian against
/// central differences, the VJP against seedᵀ J and the JVP against J·t, for maps, residuals built from matrix helpers,
/// and the random map helpers of <see cref="RandomArrayHelperTests"/>.
/// </summary>
public class ArrayResultTests(ITestOutputHelper output)
{
    // The benchmarked residual function and its helpers (bench/Autodiff.Benchmarks/HandTracking.cs), compiled with the
    // test's wrappers in the same partial class: what the test checks is what HandTrackingBenchmarks times.
    private static Type LoadHandTracking(string wrappers, [CallerFilePath] string testFile = "")
    {
        string bench = File.ReadAllText(Path.Combine(Path.GetDirectoryName(testFile)!, "..", "..", "bench", "Autodiff.Benchmarks", "HandTracking.cs"));
        return GeneratorHarness.CompileAndLoad("using System;\n" + bench, "namespace Autodiff.Benchmarks;\npublic static partial class HandTracking\n{\n" + wrappers + "\n}\n")
            .GetType("Autodiff.Benchmarks.HandTracking")!;
    }

    [Fact]
    public void JacobianVjpAndJvpOfAMap()
    {
        Type type = GeneratorHarness.CompileAndLoad("""
            using System; using Autodiff;
            public static partial class A
            {
                [Differentiable]
                public static double[] Map(double[] v, double a)
                {
                    var r = new double[v.Length + 1];
                    for (int k = 0; k < v.Length; k++) r[k] = a * Math.Sin(v[k]) + v[(k + 1) % v.Length];
                    r[v.Length] = a * a;
                    return r;
                }

                public static double[] Value(double[] p) => Map(p[..^1], p[^1]);
                public static double[] Jacobian(double[] p, double[,] j) => MapJacobian(p[..^1], p[^1], j);
                public static double[] Vjp(double[] p, double[] seed, double[] dv, double[] da) { var r = MapVjp(p[..^1], p[^1], seed, dv, out double d); da[0] = d; return r; }
                public static double[] Jvp(double[] p, double[] t) => MapJvp(p[..^1], p[^1], t[..^1], t[^1]).Tangent;
            }
            """).GetType("A")!;
        Check(type, new[] { 0.3, -0.7, 1.1, 0.4 }, 4);
    }

    [Fact]
    public void JacobianOfResidualsBuiltFromMatrixHelpers()
    {
        Type type = LoadHandTracking("""
                static readonly double[] Offsets = { 1.0, 0.8, 0.5 };
                static readonly double[] Vertices = { 0, 0.1, 0.2, 0.0, 1, 0.3, -0.1, 0.2, 2, 0.2, 0.1, -0.3, 2, -0.1, 0.0, 0.4 };
                static readonly double[] Targets = { 0.5, 0.2, 0.1, 1.2, 0.4, 0.0, 1.5, 0.9, 0.2, 1.6, 0.5, -0.2 };
                public static double[] Value(double[] p) => Pose(p, Offsets, Vertices, Targets);
                public static double[] Jacobian(double[] p, double[,] j) => PoseJacobian(p, Offsets, Vertices, Targets, j);
                public static double[] Vjp(double[] p, double[] seed, double[] dp, double[] unused) => PoseVjp(p, Offsets, Vertices, Targets, seed, dp);
                public static double[] Jvp(double[] p, double[] t) => PoseJvp(p, Offsets, Vertices, Targets, t).Tangent;
                public static double[,] Hand(double[] p) { var j = new double[12, 9]; HandJacobian(p, Offsets, Vertices, Targets, j); return j; }
                public static double[,] Generated(double[] p) { var j = new double[12, 9]; PoseJacobian(p, Offsets, Vertices, Targets, j); return j; }
            """);
        double[] point = { 0.3, -0.2, 0.1, 0.5, 0.4, -0.3, -0.6, 0.2, 0.7 };
        var hand = (double[,])GradientChecker.Invoke(type, "Hand", point);
        var generated = (double[,])GradientChecker.Invoke(type, "Generated", point);
        for (int i = 0; i < 12; i++)
        {
            for (int j = 0; j < 9; j++)
            {
                Assert.True(Math.Abs(hand[i, j] - generated[i, j]) <= 1e-10, $"J[{i}, {j}]: {generated[i, j]} generated, {hand[i, j]} by hand");
            }
        }

        Check(type, new[] { 0.3, -0.2, 0.1, 0.5, 0.4, -0.3, -0.6, 0.2, 0.7 }, 9, vjpSplit: false);
    }

    [Fact]
    public void MethodsThatReturnAStructGetStructDerivatives()
    {
        Type type = GeneratorHarness.CompileAndLoad("""
            using System; using System.Numerics; using Autodiff;
            public record struct Polar(double Radius, double Angle);
            public static partial class A
            {
                // A force from a potential, as a struct: its Jacobian is the (negated) Hessian.
                [Differentiable]
                public static Polar ToPolar(double x, double y, double[] w)
                {
                    if (x < -10) return new Polar(0, 0);
                    return new Polar(Math.Sqrt(x * x + y * y) * w[0], Math.Atan2(y, x) + w[1] * x);
                }

                [Differentiable]
                public static Vector3 Spin(float t, float[] axis) => Vector3.Transform(new Vector3(1f, 0f, 0f), Quaternion.CreateFromAxisAngle(Vector3.Normalize(new Vector3(axis[0], axis[1], axis[2])), t));

                public static double[] Value(double[] p) { Polar r = ToPolar(p[0], p[1], p[2..]); return new[] { r.Radius, r.Angle }; }
                public static double[] Jacobian(double[] p, double[,] j) { Polar r = ToPolarJacobian(p[0], p[1], p[2..], j); return new[] { r.Radius, r.Angle }; }
                public static double[] Vjp(double[] p, double[] seed, double[] dv, double[] da)
                {
                    var dw = new double[2];
                    Polar r = ToPolarVjp(p[0], p[1], p[2..], new Polar(seed[0], seed[1]), out double dx, out double dy, dw);
                    dv[0] = dx; dv[1] = dy; dv[2] = dw[0]; da[0] = dw[1];
                    return new[] { r.Radius, r.Angle };
                }
                public static double[] Jvp(double[] p, double[] t) { var r = ToPolarJvp(p[0], p[1], p[2..], t[0], t[1], t[2..]).Tangent; return new[] { r.Radius, r.Angle }; }

                public static float[,] SpinJacobianAt(float t) { var j = new float[3, 4]; SpinJacobian(t, new[] { 0f, 0f, 1f }, j); return j; }

                [Differentiable]
                public static float[] Squares(float[] v) { var r = new float[v.Length]; for (int i = 0; i < v.Length; i++) r[i] = v[i] * v[i]; return r; }

                public static float[,] SquaresJacobianAt(float[] v) { var j = new float[v.Length, v.Length]; SquaresJacobian(v, j); return j; }
            }
            """).GetType("A")!;
        Check(type, new[] { 0.6, -0.8, 1.5, 0.3 }, 4);

        Assert.Equal(new float[,] { { 2f, 0f }, { 0f, -4f } }, (float[,])GradientChecker.Invoke(type, "SquaresJacobianAt", new[] { 1f, -2f }));

        // Turning (1, 0, 0) about z by t: d/dt = (-sin t, cos t, 0).
        var spin = (float[,])GradientChecker.Invoke(type, "SpinJacobianAt", 0.5f);
        Assert.Equal(-Math.Sin(0.5), spin[0, 0], 5);
        Assert.Equal(Math.Cos(0.5), spin[1, 0], 5);
        Assert.Equal(0, spin[2, 0], 5);
    }

    [Fact]
    public void MethodsThatReturnAMatrixGetMatrixDerivatives()
    {
        Type type = LoadHandTracking("""
                static double[] Flat(double[,] m) => System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Cast<double>(m));
                public static double[] Value(double[] p) => Flat(Rotation(p[0], p[1], p[2]));
                public static double[] Jacobian(double[] p, double[,] j) => Flat(RotationJacobian(p[0], p[1], p[2], j));
                public static double[] Vjp(double[] p, double[] seed, double[] dv, double[] da)
                {
                    var s = new double[3, 3];
                    for (int k = 0; k < 9; k++) s[k / 3, k % 3] = seed[k];
                    double[,] r = RotationVjp(p[0], p[1], p[2], s, out double d0, out double d1, out double d2);
                    dv[0] = d0; dv[1] = d1; da[0] = d2;
                    return Flat(r);
                }
                public static double[] Jvp(double[] p, double[] t) => Flat(RotationJvp(p[0], p[1], p[2], t[0], t[1], t[2]).Tangent);
            """);
        Check(type, new[] { 0.3, -0.5, 1.2 }, 3);
    }

    [Fact]
    public void PathsMayReturnDifferentArrays()
    {
        // Each return copies its own array into the results (inlined at a call, one array on every path is still needed).
        Type type = GeneratorHarness.CompileAndLoad("""
            using System; using Autodiff;
            public static partial class A
            {
                [Differentiable]
                public static double[] Pick(double[] v, double s)
                {
                    var a = new double[2];
                    var b = new double[2];
                    a[0] = s * v[0];
                    b[0] = s;
                    if (s > 0) return a;
                    return b;
                }

                public static double[,] Jacobian(double s) { var j = new double[2, 3]; PickJacobian(new[] { 3.0, 4.0 }, s, j); return j; }
            }
            """).GetType("A")!;
        Assert.Equal(new double[,] { { 2, 0, 3 }, { 0, 0, 0 } }, (double[,])GradientChecker.Invoke(type, "Jacobian", 2.0));
        Assert.Equal(new double[,] { { 0, 0, 1 }, { 0, 0, 0 } }, (double[,])GradientChecker.Invoke(type, "Jacobian", -2.0));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void AJacobianOrSeedOfTheWrongLength_IsAClearError_NeverAPartOfTheResults(int rows)
    {
        // The Jacobian's rows and the seed's length size the results (the method does not run first): an array of
        // another length is an error that names the argument, whether it is longer or shorter.
        Type type = GeneratorHarness.CompileAndLoad("""
            using System; using Autodiff;
            public static partial class A
            {
                [Differentiable]
                public static double[] Twice(double[] v)
                {
                    var r = new double[v.Length];
                    for (int k = 0; k < v.Length; k++) r[k] = 2 * v[k];
                    return r;
                }

                public static void Jacobian(int rows) => TwiceJacobian(new[] { 1.0, 2.0, 3.0 }, new double[rows, 3]);
                public static void Vjp(int length) => TwiceVjp(new[] { 1.0, 2.0, 3.0 }, new double[length], new double[3]);
                public static double[,] Right() { var j = new double[3, 3]; TwiceJacobian(new[] { 1.0, 2.0, 3.0 }, j); return j; }
            }
            """).GetType("A")!;
        var jacobian = Assert.Throws<ArgumentException>(() => GradientChecker.Invoke(type, "Jacobian", rows));
        Assert.Equal($"'jacobian' must have a row per result of Twice (3), but has {rows}. (Parameter 'jacobian')", jacobian.Message);
        var vjp = Assert.Throws<ArgumentException>(() => GradientChecker.Invoke(type, "Vjp", rows));
        Assert.Equal($"'seed' must have a value per result of Twice (3), but has {rows}. (Parameter 'seed')", vjp.Message);
        Assert.Equal(new double[,] { { 2, 0, 0 }, { 0, 2, 0 }, { 0, 0, 2 } }, (double[,])GradientChecker.Invoke(type, "Right"));
    }

    [Fact]
    public void RandomMapHelpersHaveCorrectJacobians()
    {
        int seed = RandomProgramTests.BaseSeed() + 6100;
        var generator = new RandomProgramGenerator(seed);
        string helpers = generator.Helpers("Q", 3) + generator.ArrayHelpers("Q", 6, 3);
        string wrappers = string.Concat(Enumerable.Range(0, 6).Select(i => $$"""
            public static double[] M{{i}}Value(double[] p) => QM{{i}}(p[..^1], p[^1]);
            public static double[] M{{i}}Jacobian(double[] p, double[,] j) => QM{{i}}Jacobian(p[..^1], p[^1], j);
            public static double[] M{{i}}Vjp(double[] p, double[] seed, double[] dv, double[] da) { var r = QM{{i}}Vjp(p[..^1], p[^1], seed, dv, out double d); da[0] = d; return r; }
            public static double[] M{{i}}Jvp(double[] p, double[] t) => QM{{i}}Jvp(p[..^1], p[^1], t[..^1], t[^1]).Tangent;

            """));
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\npublic static partial class RandomMaps\n{\n" + helpers + wrappers + "}\n");
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("RandomMaps")!;
        var random = new Random(seed);
        for (int i = 0; i < 6; i++)
        {
            double[] p = Enumerable.Range(0, 2 + random.Next(4)).Select(_ => RandomProgramTests.Next(random)).ToArray();
            Check(type, p, p.Length, prefix: "M" + i);
        }
    }

    // The Jacobian against central differences; the VJP against seedᵀ J; the JVP against J·t. The wrappers take all the
    // differentiable values in one array p (the last one a scalar when vjpSplit).
    private void Check(Type type, double[] p, int n, bool vjpSplit = true, string prefix = "")
    {
        double[] value = (double[])GradientChecker.Invoke(type, prefix + "Value", p);
        int m = value.Length;
        var jacobian = new double[m, n];
        double[] returned = (double[])GradientChecker.Invoke(type, prefix + "Jacobian", p, jacobian);
        Assert.Equal(value, returned);
        var failures = new StringBuilder();
        for (int j = 0; j < n; j++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(p[j]));
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[j] += h;
            minus[j] -= h;
            double[] up = (double[])GradientChecker.Invoke(type, prefix + "Value", plus), down = (double[])GradientChecker.Invoke(type, prefix + "Value", minus);
            for (int i = 0; i < m; i++)
            {
                GradientChecker.Compare(failures, $"J[{i}, {j}]", jacobian[i, j], (up[i] - down[i]) / (2 * h), 1e-6);
            }
        }

        double[] seed = Enumerable.Range(0, m).Select(i => Math.Sin(i + 1.0)).ToArray();
        var dv = new double[vjpSplit ? n - 1 : n];
        var da = new double[1];
        double[] vjpValue = (double[])GradientChecker.Invoke(type, prefix + "Vjp", p, seed, dv, da);
        // the VJP's forward sweep may sum a loop in vector lanes (another order): the same values but for the last bits
        Assert.Equal(value.Length, vjpValue.Length);
        for (int i = 0; i < m; i++)
        {
            Assert.True(Math.Abs(value[i] - vjpValue[i]) <= 1e-13 * (1 + Math.Abs(value[i])), $"value {i}: {vjpValue[i]:R} against {value[i]:R}");
        }

        double[] vjp = vjpSplit ? dv.Append(da[0]).ToArray() : dv;
        double[] tangent = Enumerable.Range(0, n).Select(j => Math.Cos(j + 0.5)).ToArray();
        double[] jvp = (double[])GradientChecker.Invoke(type, prefix + "Jvp", p, tangent);
        for (int j = 0; j < n; j++)
        {
            GradientChecker.Compare(failures, $"VJP {j}", vjp[j], Enumerable.Range(0, m).Sum(i => seed[i] * jacobian[i, j]), 1e-9);
        }

        for (int i = 0; i < m; i++)
        {
            GradientChecker.Compare(failures, $"JVP {i}", jvp[i], Enumerable.Range(0, n).Sum(j => jacobian[i, j] * tangent[j]), 1e-9);
        }

        output.WriteLine(failures.ToString());
        Assert.True(failures.Length == 0, failures.ToString());
    }
}
