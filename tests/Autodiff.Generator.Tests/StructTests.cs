using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// User structs of reals: fields and auto-properties, constructors (with bodies, record structs' primary ones,
/// initializers, <c>default</c>), operators, instance methods that read or change the struct, computed properties,
/// nested structs, helpers that take and return structs, and struct parameters of the method itself (whose public
/// derivatives take and give the struct). Gradients, VJPs and JVPs against central differences.
/// </summary>
public class StructTests
{
    private const string Types = """
        public struct Vec3
        {
            public double X, Y, Z;
            public Vec3(double x, double y, double z) { X = x; Y = y; Z = z; }
            public static Vec3 operator +(Vec3 a, Vec3 b) => new Vec3(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
            public static Vec3 operator -(Vec3 a, Vec3 b) => new Vec3(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
            public static Vec3 operator -(Vec3 a) => new Vec3(-a.X, -a.Y, -a.Z);
            public static Vec3 operator *(double s, Vec3 a) => new Vec3(s * a.X, s * a.Y, s * a.Z);
            public static double operator *(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
            public double Length => Math.Sqrt(X * X + Y * Y + Z * Z);
            public Vec3 Cross(Vec3 b) => new Vec3(Y * b.Z - Z * b.Y, Z * b.X - X * b.Z, X * b.Y - Y * b.X);
            public void Scale(double s) { X *= s; Y *= s; Z *= s; }
        }

        public record struct Particle(Vec3 Position, Vec3 Velocity, double Mass);

        public struct Spring
        {
            public double Rest { get; set; }
            public double Stiffness { get; init; }
            public int Index;
            public double Energy(Vec3 a, Vec3 b) { double e = (a - b).Length - Rest; return 0.5 * Stiffness * e * e; }
        }

        """;

    private static Type Load(string members, string wrappers)
    {
        string source = "using System;\nusing Autodiff;\n" + Types + "public static partial class S\n{\n" + members + "\n}\n";
        return GeneratorHarness.LoadWith(source, "S", wrappers);
    }

    [Fact]
    public void StructLocalsOperatorsMethodsAndProperties()
    {
        Type type = Load("""
            [Differentiable]
            static Vec3 Step(Vec3 p, Vec3 v, double dt) => p + dt * v;

            [Differentiable]
            public static double F(double x0, double x1, double x2, double[] w)
            {
                var a = new Vec3(x0, x1, x2);
                Vec3 b = new Vec3 { X = w[0], Y = w[1] * x0, Z = 1 };
                Vec3 c = a.Cross(b) + -a;
                c.Scale(0.5 + x2 * x2);
                Vec3 d = default;
                d.Y = c.Z * c.X;
                d.Z += a * b;
                for (int i = 0; i < 3; i++)
                    d = Step(d, c, 0.1 * i);
                double s = c.Length + d * a;
                return s + (x0 > 0 ? a : b).Y;
            }
            """, GradientChecker.Wrappers("F", 3));
        GradientChecker.AssertCorrect(type, "F", new[] { 0.3, -0.7, 1.1 }, new[] { 0.5, -1.2 });
        GradientChecker.AssertCorrect(type, "F", new[] { -0.4, 0.2, 0.9 }, new[] { 1.5, 0.3 });
    }

    [Fact]
    public void RecordStructsNestedStructsAndPropertiesWithSetters()
    {
        Type type = Load("""
            [Differentiable]
            public static double F(double x0, double x1, double x2, double[] w)
            {
                var p = new Particle(new Vec3(x0, x1, 0), new Vec3(w[0], x2, w[1]), 2.0);
                var q = p with { Mass = x0 * x0 + 1 };
                q.Position = q.Position + new Vec3(p.Velocity.Z, 0, 0);
                Vec3 moved = q.Position;
                moved.Y -= x1;
                var spring = new Spring { Rest = 0.5, Stiffness = x2 * x2 + 1, Index = 3 };
                spring.Rest *= 1.5;
                double e = spring.Energy(p.Position, q.Position + q.Velocity) * spring.Index;
                return e + 0.5 * q.Mass * (q.Velocity * q.Velocity) + moved.Y * moved.X;
            }
            """, GradientChecker.Wrappers("F", 3));
        GradientChecker.AssertCorrect(type, "F", new[] { 0.3, -0.7, 1.1 }, new[] { 0.5, -1.2 });
    }

    [Fact]
    public void StructParametersGetStructAdjointsAndTangents()
    {
        Type type = Load("""
            [Differentiable]
            public static double Energy(Vec3 p, Particle particle, double k, [NoDerivative] Vec3 anchor)
            {
                Vec3 d = p - particle.Position - anchor;
                return 0.5 * k * (d * d) + particle.Mass * particle.Velocity.Length;
            }

            public static double __Value(double[] a)
                => Energy(new Vec3(a[0], a[1], a[2]), new Particle(new Vec3(a[3], a[4], a[5]), new Vec3(a[6], a[7], a[8]), a[9]), a[10], new Vec3(0.1, 0.2, 0.3));

            public static double[] __Gradient(double[] a, double seed, bool vjp)
            {
                var p = new Vec3(a[0], a[1], a[2]);
                var particle = new Particle(new Vec3(a[3], a[4], a[5]), new Vec3(a[6], a[7], a[8]), a[9]);
                Vec3 dp; Particle dparticle; double dk;
                double v = vjp
                    ? EnergyVjp(p, particle, a[10], new Vec3(0.1, 0.2, 0.3), seed, out dp, out dparticle, out dk)
                    : EnergyGradient(p, particle, a[10], new Vec3(0.1, 0.2, 0.3), out dp, out dparticle, out dk);
                return new[] { dp.X, dp.Y, dp.Z, dparticle.Position.X, dparticle.Position.Y, dparticle.Position.Z,
                    dparticle.Velocity.X, dparticle.Velocity.Y, dparticle.Velocity.Z, dparticle.Mass, dk, v };
            }

            public static double[] __Jvp(double[] a, double[] t)
            {
                var r = EnergyJvp(new Vec3(a[0], a[1], a[2]), new Particle(new Vec3(a[3], a[4], a[5]), new Vec3(a[6], a[7], a[8]), a[9]), a[10], new Vec3(0.1, 0.2, 0.3),
                    new Vec3(t[0], t[1], t[2]), new Particle(new Vec3(t[3], t[4], t[5]), new Vec3(t[6], t[7], t[8]), t[9]), t[10]);
                return new[] { r.Value, r.Tangent };
            }
            """, string.Empty);
        CheckFlat(type, new[] { 0.3, -0.7, 1.1, 0.2, 0.5, -0.4, 0.9, -0.3, 0.6, 1.7, 2.5 });
    }

    [Fact]
    public void NumericsVectorsByTheirComponents()
    {
        string source = """
            using System;
            using System.Numerics;
            using Autodiff;
            public static partial class S
            {
                [Differentiable]
                public static float F(float x0, float x1, float x2, float[] w)
                {
                    var a = new Vector3(x0, x1, x2);
                    var b = new Vector3(w[0], 1f, w[1]);
                    Vector3 c = Vector3.Cross(a, b) + 0.5f * a - Vector3.UnitY;
                    Vector3 n = Vector3.Normalize(c);
                    float d = Vector3.Dot(n, b) + c.Length() + Vector3.Distance(a, b);
                    var v2 = new Vector2(x0, d) * 0.5f;
                    var v4 = new Vector4(a, x2) / 2f;
                    return d + v2.LengthSquared() + Vector4.Dot(v4, v4) + Vector3.Lerp(a, -b, 0.25f).Y + Vector3.Max(a, b).Z;
                }

                [Differentiable]
                public static double Energy(Vector3 p, double k) => 0.5 * k * p.LengthSquared() + p.Z;

                public static double __Energy(double[] a) => Energy(new Vector3((float)a[0], (float)a[1], (float)a[2]), a[3]);

                public static double[] __EnergyGradient(double[] a)
                {
                    double v = EnergyGradient(new Vector3((float)a[0], (float)a[1], (float)a[2]), a[3], out Vector3 dp, out double dk);
                    return new[] { dp.X, dp.Y, dp.Z, dk, v };
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "S", GradientChecker.Wrappers("F", 3, "float"));
        // Float: central differences need a step well above float's rounding of the value.
        string? failure = GradientChecker.Check(type, "F", new[] { 0.3, -0.7, 1.1 }, new[] { 0.5, -1.2 }, 2e-3, h: 3e-3);
        Assert.True(failure is null, failure);
        double[] gradient = (double[])GradientChecker.Invoke(type, "__EnergyGradient", new[] { 0.5, -0.25, 2.0, 3.0 });
        Assert.Equal(new[] { 1.5, -0.75, 7.0, 0.5 * (0.25 + 0.0625 + 4.0) }, gradient.Take(4).ToArray());
    }

    [Fact]
    public void ArraysOfStructs()
    {
        Type type = Load("""
            public struct Body { public double X, Y, VX, VY, Mass; }

            [Differentiable]
            static double Kinetic(Body[] bodies)
            {
                double e = 0;
                foreach (Body b in bodies) e += 0.5 * b.Mass * (b.VX * b.VX + b.VY * b.VY);
                return e;
            }

            [Differentiable]
            public static double Energy(Body[] bodies, double g, Vec3[] points)
            {
                var moved = new Body[bodies.Length];
                for (int i = 0; i < bodies.Length; i++)
                {
                    moved[i] = bodies[i];
                    moved[i].X += 0.1 * bodies[i].VX;
                    moved[i].Y = bodies[i].Y + 0.1 * bodies[i].VY;
                }

                double u = 0;
                for (int i = 0; i < moved.Length; i++)
                    for (int j = i + 1; j < moved.Length; j++)
                    {
                        double dx = moved[i].X - moved[j].X, dy = moved[i].Y - moved[j].Y;
                        u -= g * moved[i].Mass * moved[j].Mass / Math.Sqrt(dx * dx + dy * dy + 0.1);
                    }

                var shifted = new Vec3[points.Length];
                for (int k = 0; k < points.Length; k++)
                {
                    shifted[k] = points[k] + new Vec3(g, 0, moved[0].X);
                    shifted[k].Scale(0.5);
                }

                Vec3 first = shifted[0];
                return u + Kinetic(moved) + first.Length + shifted[points.Length - 1] * points[0];
            }

            static Body[] Bodies(double[] a) => new[] { new Body { X = a[0], Y = a[1], VX = a[2], VY = a[3], Mass = a[4] }, new Body { X = a[5], Y = a[6], VX = a[7], VY = a[8], Mass = a[9] } };
            static Vec3[] Points(double[] a) => new[] { new Vec3(a[11], a[12], a[13]), new Vec3(a[14], a[15], a[16]) };

            public static double __Value(double[] a) => Energy(Bodies(a), a[10], Points(a));

            public static double[] __Gradient(double[] a, double seed, bool vjp)
            {
                var db = new Body[2];
                var dp = new Vec3[2];
                double dg;
                double v = vjp ? EnergyVjp(Bodies(a), a[10], Points(a), seed, db, out dg, dp) : EnergyGradient(Bodies(a), a[10], Points(a), db, out dg, dp);
                return new[] { db[0].X, db[0].Y, db[0].VX, db[0].VY, db[0].Mass, db[1].X, db[1].Y, db[1].VX, db[1].VY, db[1].Mass, dg,
                    dp[0].X, dp[0].Y, dp[0].Z, dp[1].X, dp[1].Y, dp[1].Z, v };
            }

            public static double[] __Jvp(double[] a, double[] t)
            {
                var r = EnergyJvp(Bodies(a), a[10], Points(a), Bodies(t), t[10], Points(t));
                return new[] { r.Value, r.Tangent };
            }
            """, string.Empty);
        double[] point = { 0.1, 0.2, 0.5, -0.3, 1.5, 1.2, -0.4, 0.1, 0.7, 0.8, 0.9, 0.3, -0.6, 1.1, 0.4, 0.2, -0.5 };
        CheckFlat(type, point);
    }

    [Fact]
    public void AMemberOfAComputedStructIsComputedOnce()
    {
        // (a - b).Length: the operator is inlined once, and the getter runs on its value (it was inlined twice, once
        // for the value and once more for the getter's `this`); the same for a library getter, (z * w).Magnitude.
        var result = GeneratorHarness.Run("using System;\nusing System.Numerics;\nusing Autodiff;\n" + Types + """
            public static partial class S
            {
                [Differentiable] public static double F(Vec3 a, Vec3 b) => (a - b).Length;
                [Differentiable] public static double G(double x, double y) => (new Complex(x, y) * new Complex(y, x)).Magnitude;
            }
            """);
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.DoesNotContain("__returnedFromop_Subtraction_2", result.Source("S.F."), StringComparison.Ordinal);
        Assert.DoesNotContain("__complexReal_4", result.Source("S.G."), StringComparison.Ordinal);
    }

    [Fact]
    public void AStructArrayAdjointOfAnotherLengthIsAClearError()
    {
        Type type = GeneratorHarness.CompileAndLoad("""
            using System; using Autodiff;
            public struct P2 { public double X, Y; }
            public static partial class S
            {
                [Differentiable] public static double F(P2[] ps) => ps[0].X * ps[1].Y;
                public static void Wrong() => FGradient(new P2[2], new P2[3]);
            }
            """).GetType("S")!;
        var error = Assert.Throws<ArgumentException>(() => GradientChecker.Invoke(type, "Wrong"));
        Assert.Equal("'dps' must have the length of 'ps' (2), but has 3. (Parameter 'dps')", error.Message);
    }

    // The __Value, __Gradient and __Jvp wrappers of a method over flattened arguments against central differences.
    private static void CheckFlat(Type type, double[] point)
    {
        double value = (double)GradientChecker.Invoke(type, "__Value", point);
        double[] gradient = (double[])GradientChecker.Invoke(type, "__Gradient", point, 1.0, false);
        double[] vjp = (double[])GradientChecker.Invoke(type, "__Gradient", point, 2.5, true);
        Assert.Equal(value, gradient[^1], 12);
        double[] tangent = point.Select((_, i) => Math.Sin(i + 1.0)).ToArray();
        double[] jvp = (double[])GradientChecker.Invoke(type, "__Jvp", point, tangent);
        Assert.Equal(value, jvp[0], 12);
        double dot = 0;
        for (int i = 0; i < point.Length; i++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(point[i]));
            double[] plus = (double[])point.Clone(), minus = (double[])point.Clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = ((double)GradientChecker.Invoke(type, "__Value", plus) - (double)GradientChecker.Invoke(type, "__Value", minus)) / (2 * h);
            Assert.True(Math.Abs(fd - gradient[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"d/d{i}: {gradient[i]} against {fd}");
            Assert.Equal(2.5 * gradient[i], vjp[i], 12);
            dot += gradient[i] * tangent[i];
        }

        Assert.Equal(dot, jvp[1], 10);
    }

    [Fact]
    public void FloatShapesMatchTheirDoubleTwins()
    {
        // The same function over float[,], float[][], a struct of floats and Vector3[] and over their double twins
        // (doubles, and a struct of doubles): gradients agree to float rounding.
        string source = """
            using System;
            using System.Numerics;
            using Autodiff;
            public struct PF { public float A, B; }
            public struct PD { public double A, B; }
            public static partial class S
            {
                [Differentiable]
                public static float F(float[,] m, float[][] rows, PF p, Vector3[] vs)
                {
                    float s = p.A * p.B;
                    for (int i = 0; i < m.GetLength(0); i++)
                        for (int j = 0; j < m.GetLength(1); j++) s += MathF.Sin(m[i, j]) * rows[i][j % rows[i].Length];
                    foreach (Vector3 v in vs) s += Vector3.Dot(v, v) * p.A;
                    return s;
                }

                [Differentiable]
                public static double D(double[,] m, double[][] rows, PD p, double[] vs)
                {
                    double s = p.A * p.B;
                    for (int i = 0; i < m.GetLength(0); i++)
                        for (int j = 0; j < m.GetLength(1); j++) s += Math.Sin(m[i, j]) * rows[i][j % rows[i].Length];
                    for (int k = 0; k < vs.Length; k += 3) s += (vs[k] * vs[k] + vs[k + 1] * vs[k + 1] + vs[k + 2] * vs[k + 2]) * p.A;
                    return s;
                }

                public static double[] Both()
                {
                    var mf = new float[,] { { 0.5f, -0.2f }, { 0.3f, 0.9f } };
                    var rf = new[] { new[] { 0.7f }, new[] { -0.4f, 0.6f } };
                    var vf = new[] { new Vector3(0.1f, 0.2f, 0.3f), new Vector3(-0.5f, 0.4f, 0.2f) };
                    var dmf = new float[2, 2];
                    var drf = new[] { new float[1], new float[2] };
                    var dvf = new Vector3[2];
                    FGradient(mf, rf, new PF { A = 1.5f, B = -0.5f }, vf, dmf, drf, out PF dpf, dvf);

                    var md = new double[,] { { 0.5f, -0.2f }, { 0.3f, 0.9f } };
                    var rd = new[] { new double[] { 0.7f }, new double[] { -0.4f, 0.6f } };
                    var vd = new double[] { 0.1f, 0.2f, 0.3f, -0.5f, 0.4f, 0.2f };
                    var dmd = new double[2, 2];
                    var drd = new[] { new double[1], new double[2] };
                    var dvd = new double[6];
                    DGradient(md, rd, new PD { A = 1.5f, B = -0.5f }, vd, dmd, drd, out PD dpd, dvd);

                    return new double[]
                    {
                        dmf[0, 0] - dmd[0, 0], dmf[1, 1] - dmd[1, 1], drf[1][1] - drd[1][1], drf[0][0] - drd[0][0],
                        dpf.A - dpd.A, dpf.B - dpd.B, dvf[1].Y - dvd[4], dvf[0].Z - dvd[2],
                    };
                }
            }
            """;
        Type type = GeneratorHarness.CompileAndLoad(source).GetType("S")!;
        double[] differences = (double[])GradientChecker.Invoke(type, "Both");
        Assert.All(differences, d => Assert.True(Math.Abs(d) < 1e-5, string.Join(", ", differences)));
    }

    [Fact]
    public void QuaternionsRotateVectors()
    {
        string source = """
            using System;
            using System.Numerics;
            using Autodiff;
            public static partial class S
            {
                [Differentiable]
                public static float F(float x0, float x1, float x2, float[] w)
                {
                    var axis = Vector3.Normalize(new Vector3(x0, 1f, w[0]));
                    Quaternion q = Quaternion.CreateFromAxisAngle(axis, x1);
                    Quaternion r = Quaternion.Normalize(new Quaternion(w[1], x2, 0.5f, 1f));
                    Quaternion qr = Quaternion.Concatenate(q, r) * Quaternion.Conjugate(q) + Quaternion.Identity * 0.5f;
                    Vector3 v = Vector3.Transform(new Vector3(1f, x2, w[0]), q * r);
                    return v.X + 2f * v.Y - v.Z + qr.W * qr.X + Quaternion.Inverse(r).Z + (q / r).Y + qr.Length();
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "S", GradientChecker.Wrappers("F", 3, "float"));
        // The library computes quaternion products in another order than the rules' formulas: values agree to float rounding.
        string? failure = GradientChecker.Check(type, "F", new[] { 0.3, -0.7, 1.1 }, new[] { 0.5, -1.2 }, 2e-3, h: 3e-3, valueTolerance: 1e-6);
        Assert.True(failure is null, failure);
    }

    [Fact]
    public void ComplexNumbersThroughTheirOperatorsAndFunctions()
    {
        string source = """
            using System;
            using System.Numerics;
            using Autodiff;
            public static partial class S
            {
                [Differentiable]
                public static double F(double x0, double x1, double x2, double[] w)
                {
                    var z = new Complex(x0, x1);
                    Complex c = w[0];
                    Complex p = z * z / (z + 2.0) - c * Complex.Exp(z * Complex.ImaginaryOne) + Complex.Sqrt(z + x2);
                    Complex q = Complex.Log(Complex.Conjugate(p) + 3.0) + Complex.FromPolarCoordinates(x2, w[1]) + Complex.Reciprocal(p);
                    return q.Real * p.Imaginary + Complex.Abs(p) + q.Phase + (-q).Magnitude;
                }

                [Differentiable]
                public static double Energy(Complex z, double k) => k * (z * Complex.Conjugate(z)).Real;

                public static double[] __EnergyGradient(double re, double im, double k)
                {
                    double v = EnergyGradient(new Complex(re, im), k, out Complex dz, out double dk);
                    return new[] { dz.Real, dz.Imaginary, dk, v };
                }
            }
            """;
        Type type = GeneratorHarness.LoadWith(source, "S", GradientChecker.Wrappers("F", 3));
        GradientChecker.AssertCorrect(type, "F", new[] { 0.3, -0.7, 1.1 }, new[] { 0.5, -1.2 });
        GradientChecker.AssertCorrect(type, "F", new[] { -0.6, 0.4, 0.8 }, new[] { 1.5, 0.3 });
        Assert.Equal(new[] { 2 * 3.0 * 0.5, 2 * 3.0 * -2.0, 0.25 + 4.0, 3.0 * 4.25 }, (double[])GradientChecker.Invoke(type, "__EnergyGradient", 0.5, -2.0, 3.0));
    }

    [Fact]
    public void SecondOrder_WithAStructAndAnArrayOfStructs_HessianIsTheGradientsJacobian_AndHvpItsProduct()
    {
        // The HVP reads a tangent of each struct's type and writes a product of it: FHvp(V2 p, V2[] ps, double k, V2 tp,
        // ReadOnlySpan<V2> tps, double tk, out V2 hp, Span<V2> hps, out double hk).
        Type type = GeneratorHarness.CompileAndLoad("""
            using System; using System.Linq; using Autodiff;
            public record struct V2(double X, double Y);
            public static partial class S
            {
                [Differentiable(SecondOrder = true)]
                public static double Energy(V2 p, V2[] ps, double k)
                {
                    double s = 0;
                    foreach (V2 q in ps)
                    {
                        double dx = q.X - p.X, dy = q.Y - p.Y;
                        s += k * Math.Exp(-(dx * dx + dy * dy)) + dx * dy * dy;
                    }

                    return s;
                }

                static V2[] Ps(double[] p) => new[] { new V2(p[2], p[3]), new V2(p[4], p[5]) };

                public static double A(double[] p) => Energy(new V2(p[0], p[1]), Ps(p), p[6]);
                public static double[] GradientA(double[] p)
                {
                    var dps = new V2[2];
                    EnergyGradient(new V2(p[0], p[1]), Ps(p), p[6], out V2 dp, dps, out double dk);
                    return new[] { dp.X, dp.Y, dps[0].X, dps[0].Y, dps[1].X, dps[1].Y, dk };
                }

                public static double HessianA(double[] p, double[,] h) => EnergyHessian(new V2(p[0], p[1]), Ps(p), p[6], h);
                public static double[] HvpA(double[] p, double[] v)
                {
                    var hps = new V2[2];
                    EnergyHvp(new V2(p[0], p[1]), Ps(p), p[6], new V2(v[0], v[1]), Ps(v), v[6], out V2 hp, hps, out double hk);
                    return new[] { hp.X, hp.Y, hps[0].X, hps[0].Y, hps[1].X, hps[1].Y, hk };
                }
            }
            """).GetType("S")!;

        double[] point = { 0.3, -0.2, 1.1, 0.4, -0.6, 0.9, 1.7 };
        int n = point.Length;
        var hessian = new double[n, n];
        Assert.Equal((double)GradientChecker.Invoke(type, "A", point)!, (double)GradientChecker.Invoke(type, "HessianA", point, hessian)!, 12);
        for (int column = 0; column < n; column++)
        {
            const double h = 1e-6;
            double[] plus = (double[])point.Clone(), minus = (double[])point.Clone();
            plus[column] += h;
            minus[column] -= h;
            double[] up = (double[])GradientChecker.Invoke(type, "GradientA", plus)!;
            double[] down = (double[])GradientChecker.Invoke(type, "GradientA", minus)!;
            for (int row = 0; row < n; row++)
            {
                double difference = (up[row] - down[row]) / (2 * h);
                Assert.True(Math.Abs(difference - hessian[row, column]) <= 1e-6 * (1 + Math.Abs(difference)), $"H[{row}, {column}] = {hessian[row, column]}, differences of the gradient give {difference}");
                Assert.Equal(hessian[row, column], hessian[column, row], 10);
            }
        }

        double[] v = Enumerable.Range(0, n).Select(k => Math.Sin(k + 0.7)).ToArray();
        double[] hv = (double[])GradientChecker.Invoke(type, "HvpA", point, v)!;
        for (int row = 0; row < n; row++)
        {
            Assert.Equal(Enumerable.Range(0, n).Sum(column => hessian[row, column] * v[column]), hv[row], 10);
        }
    }

    [Theory]
    [InlineData("public struct Opaque { private double _x; public Opaque(double x) { _x = x; } public double X => _x; }",
        "[Differentiable] public static double F(Opaque o) => o.X;", "AD0004", "o", "its member '_x' must be public (or internal) and settable")]
    [InlineData("public struct Named { public double X; public string Label; }",
        "[Differentiable] public static double F(Named n) => n.X;", "AD0004", "n", "its member 'Label' is a string")]
    [InlineData("", "[Differentiable] public static double F(System.Numerics.Plane p) => p.D;", "AD0004", "p", "it is a library type")]
    [InlineData("", "[Differentiable] public static float F(System.Numerics.Vector3 v) => v.X * System.Numerics.Vector3.Reflect(v, v).Y;", "AD0102", "System.Numerics.Vector3.Reflect(v, v)", "this member of Vector3 (Reflect)")]
    public void UnsupportedStructsAreDiagnosed(string types, string member, string id, string at, string message)
    {
        var result = GeneratorHarness.Run("using System;\nusing Autodiff;\n" + types + "\npublic static partial class M\n{\n    " + member + "\n}\n");
        result.AssertSingle(id, at, message);
    }
}
