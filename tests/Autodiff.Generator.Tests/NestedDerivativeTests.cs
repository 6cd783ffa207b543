using System;
using System.Linq;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Nested differentiation: <c>[Differentiable]</c> methods that call other methods' generated derivatives
/// (<c>GJvp(...).Value/.Tangent</c>, <c>(v, t) = GJvp(...)</c>, <c>GDirectional</c>, <c>GGradient</c> and <c>GVjp</c> with
/// scalar adjoints). Their gradients, VJPs and JVPs against finite differences of the outer function, and what stays out.
/// </summary>
public class NestedDerivativeTests
{
    private const string Source = """
        using System;
        using Autodiff;

        public static partial class N
        {
            [Differentiable(SecondOrder = true)]
            public static double Energy(double x, double y) => x * x * y + Math.Sin(y) + Math.Exp(0.3 * x * y);

            [Differentiable(SecondOrder = true)]
            public static double Cubes(double s, double[] w)
            {
                double total = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    total += s * w[i] * w[i] * w[i];
                }

                return total;
            }

            [Differentiable(SecondOrder = true)]
            public static double Fit(double a, [NoDerivative] ReadOnlySpan<double> data)
            {
                double r = 0;
                for (int i = 0; i < data.Length; i++)
                {
                    double e = Math.Tanh(a * data[i]) - 0.5;
                    r += e * e;
                }

                return r;
            }

            // Every form of call, in one expression after another.
            [Differentiable]
            public static double Forms(double x0, double x1, double[] w)
            {
                double t = EnergyJvp(x0, x1, 1.0, x1).Tangent;
                double v = EnergyJvp(x0, x1, 0.5, 0.0).Value;
                double e = EnergyGradient(x0 * x1, x1, out double fx, out double fy);
                var (p, q) = EnergyJvp(x1, x0, x0, 0.25);
                double u = CubesJvp(x0, w, x1, w).Tangent;
                double d = EnergyDirectional(x1, x0 - 1, 0.5, x0);
                double s = EnergyVjp(x0, x1, 2 * x1, out double sx, out _);
                return t * v + e * fx + fy * fy + p * q + u + d + s * sx;
            }

            // Gradient descent steps inside the objective: the gradient of a gradient step.
            [Differentiable]
            public static double Steps(double x0, double x1, double[] w)
            {
                double x = x0, y = x1, gx = 0, gy = 0, e = 0;
                for (int k = 0; k < 5; k++)
                {
                    e = EnergyGradient(x, y, out gx, out gy);
                    x = x - w[0] * gx;
                    y = y - w[1] * gy;
                }

                // Data the derivative does not follow ([NoDerivative]): a constant here.
                Span<double> data = stackalloc double[3];
                data[0] = 0.3;
                data[1] = -0.5;
                data[2] = 0.8;
                double ga;
                FitGradient(x * y, data, out ga);
                return e + x * x + y + gx * gy + ga;
            }

            // An adjoint that overwrites an argument: the arguments are read first, as the call reads them.
            [Differentiable]
            public static double Overwrites(double x0, double x1, double[] w)
            {
                double x = x0 + w[0];
                double y = x1;
                double e = EnergyGradient(x, y, out x, out y);
                return e * x + y * y;
            }
        }
        """;

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        string wrappers = string.Concat(new[] { "Forms", "Steps", "Overwrites" }.Select(name => GradientChecker.Wrappers(name, 2)));
        return GeneratorHarness.LoadWith(Source, "N", wrappers);
    });

    [Theory]
    [InlineData("Forms", 0.7, 1.2)]
    [InlineData("Forms", -0.4, 0.3)]
    [InlineData("Steps", 0.6, -0.2)]
    [InlineData("Steps", -0.3, 0.8)]
    [InlineData("Overwrites", 0.5, 0.9)]
    [InlineData("Overwrites", -1.1, 0.4)]
    public void CallsOfGeneratedDerivatives_AreDifferentiated(string name, double x0, double x1)
    {
        GradientChecker.AssertCorrect(Compiled.Value, name, new[] { x0, x1 }, new[] { 0.15, 0.1, -0.7 });
    }

    [Fact]
    public void TheValuesAreThoseOfTheCalls()
    {
        // Overwrites(x0, x1, w): x = x0 + w0, y = x1; e = Energy(x, y); x = ∂E/∂x, y = ∂E/∂y (of the old x, y).
        double x = 0.5 + 0.15, y = 0.9;
        double e = x * x * y + Math.Sin(y) + Math.Exp(0.3 * x * y);
        double ex = 2 * x * y + 0.3 * y * Math.Exp(0.3 * x * y);
        double ey = x * x + Math.Cos(y) + 0.3 * x * Math.Exp(0.3 * x * y);
        Assert.Equal(e * ex + ey * ey, GradientChecker.Value(Compiled.Value, "Overwrites", new[] { 0.5, 0.9 }, new[] { 0.15, 0.1, -0.7 }), 12);
    }

    [Theory]
    [InlineData("[Differentiable(SecondOrder = true)] public static double F(double q) => EJvp(q, 1.0).Tangent;", "AD0114", "EJvp(q, 1.0)", "third derivatives")]
    [InlineData("[Differentiable] public static double F(double q) => PJvp(q, 1.0).Tangent;", "AD0114", "PJvp(q, 1.0)", "mark P [Differentiable(SecondOrder = true)]")]
    [InlineData("[Differentiable] public static double F(double q) => PDirectional(q, 1.0);", "AD0115", "PDirectional(q, 1.0)", "mark it [Differentiable(SecondOrder = true)]")]
    [InlineData("[Differentiable] public static double F(double q) => EHvp(q, 1.0, out double h) * h;", "AD0115", "EHvp(q, 1.0, out double h)", "third derivatives")]
    [InlineData("[Differentiable] public static double F(double q) => EGradient(q, out double d) * d;", "AD0115", "EGradient(q, out double d)", "statement of its own")]
    [InlineData("[Differentiable] public static double F(double q) { var j = EJvp(q, 1.0); return j.Value; }", "AD0115", "EJvp(q, 1.0)", ".Value or .Tangent")]
    [InlineData("[Differentiable] public static double F(double q, double[] w) { double e = AGradient(w, new double[2]); return e; }", "AD0115", "AGradient(w, new double[2])", "array adjoints")]
    [InlineData("[Differentiable] public static double F(double q) => MJvp(new double[1, 1], q, new double[1, 1], 1.0).Tangent;", "AD0115", "MJvp(new double[1, 1], q, new double[1, 1], 1.0)", "a method that takes a T[,], a jagged array or a struct")]
    public void WhatStaysOut_IsReportedAtTheCall(string method, string id, string at, string fix)
    {
        string source = """
            using System;
            using Autodiff;
            public static partial class C
            {
                [Differentiable(SecondOrder = true)] public static double E(double q) => q * q * q;
                [Differentiable] public static double P(double q) => q * q * q;
                [Differentiable(SecondOrder = true)] public static double A(double[] w) => w[0] * w[1];
                [Differentiable(SecondOrder = true)] public static double M(double[,] m, double q) => m[0, 0] * q * q;
            """ + method + "\n}\n";
        GeneratorHarness.Run(source).AssertSingle(id, at, fix);
    }
}
