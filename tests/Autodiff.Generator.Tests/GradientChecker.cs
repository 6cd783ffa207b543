using System.Globalization;
using System.Reflection;
using System.Text;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Checks generated derivatives of methods shaped <c>T F(T x0, ..., T x{k-1}, T[] w)</c> against central finite
/// differences (in double), and checks that JVP = gradient · tangent and VJP = seed · gradient.
/// Reflection cannot pass spans, so each method gets array-based wrappers compiled beside it.
/// </summary>
public static class GradientChecker
{
    /// <summary>Array-based wrappers for a method with <paramref name="scalars"/> scalar parameters and one array.</summary>
    public static string Wrappers(string name, int scalars, string type = "double", string extra = "")
    {
        string p = string.Join(", ", Enumerable.Range(0, scalars).Select(i => $"p[{i}]"));
        string outs = string.Join(", ", Enumerable.Range(0, scalars).Select(i => $"out dp[{i}]"));
        string tangents = string.Join(", ", Enumerable.Range(0, scalars).Select(i => $"tp[{i}]"));
        string Sep(string s) => s.Length == 0 ? string.Empty : s + ", ";
        return $$"""
            public static double {{name}}__Value(double[] p, double[] w) { var pc = Array.ConvertAll(p, v => ({{type}})v); var wc = Array.ConvertAll(w, v => ({{type}})v); return Call(pc, wc); static {{type}} Call({{type}}[] p, {{type}}[] w) => {{name}}({{Sep(p)}}w{{extra}}); }
            public static double {{name}}__Grad(double[] pd, double[] wd, double[] dpd, double[] dwd)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                var dp = new {{type}}[p.Length]; var dw = new {{type}}[w.Length];
                for (int i = 0; i < dw.Length; i++) dw[i] = ({{type}})12345;
                double value = {{name}}Gradient({{Sep(p)}}w{{extra}}, {{Sep(outs)}}dw);
                for (int i = 0; i < dp.Length; i++) dpd[i] = dp[i];
                for (int i = 0; i < dw.Length; i++) dwd[i] = dw[i];
                return value;
            }
            public static double {{name}}__Vjp(double[] pd, double[] wd, double seed, double[] dpd, double[] dwd)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                var dp = new {{type}}[p.Length]; var dw = new {{type}}[w.Length];
                double value = {{name}}Vjp({{Sep(p)}}w{{extra}}, ({{type}})seed, {{Sep(outs)}}dw);
                for (int i = 0; i < dp.Length; i++) dpd[i] = dp[i];
                for (int i = 0; i < dw.Length; i++) dwd[i] = dw[i];
                return value;
            }
            public static double {{name}}__Jvp(double[] pd, double[] wd, double[] tpd, double[] twd)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                var tp = Array.ConvertAll(tpd, v => ({{type}})v); var tw = Array.ConvertAll(twd, v => ({{type}})v);
                var r = {{name}}Jvp({{Sep(p)}}w{{extra}}, {{Sep(tangents)}}tw);
                return r.Tangent;
            }
            public static double {{name}}__JvpValue(double[] pd, double[] wd)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                var tp = new {{type}}[p.Length]; var tw = new {{type}}[w.Length];
                return {{name}}Jvp({{Sep(p)}}w{{extra}}, {{Sep(tangents)}}tw).Value;
            }
            """;
    }

    public sealed record Gradient(double Value, double[] Scalars, double[] Array);

    public static Gradient Grad(Type type, string name, double[] p, double[] w)
    {
        var dp = new double[p.Length];
        var dw = new double[w.Length];
        double value = (double)Invoke(type, name + "__Grad", p, w, dp, dw);
        return new Gradient(value, dp, dw);
    }

    public static double Value(Type type, string name, double[] p, double[] w) => (double)Invoke(type, name + "__Value", p, w);

    /// <summary>Runs every check; returns a failure description, or null when all pass.</summary>
    /// <param name="valueTolerance">How far the Gradient's and the JVP's value may be from the primal's: rounding only
    /// (1e-12), unless the primal calls library code the derivatives replace with formulas (float vectors, quaternions).</param>
    public static string? Check(Type type, string name, double[] p, double[] w, double tolerance = 1e-6, double h = 1e-5, double valueTolerance = 1e-12)
    {
        var failures = new StringBuilder();
        // Checks that hold to rounding (VJP = seed·gradient, JVP = gradient·tangent): 1e-9 relative in double, 1e-5
        // (about a hundred float ulps) when the case computes in float, whatever looser tolerance its finite
        // differences need; the loose case tolerance let a float VJP off by 2% pass.
        double exact = tolerance <= 1e-6 ? 1e-9 : 1e-5;
        Gradient g = Grad(type, name, p, w);
        double primal = Value(type, name, p, w);
        Compare(failures, "value from Gradient", g.Value, primal, Math.Max(exact, valueTolerance));
        Compare(failures, "value from Jvp", (double)Invoke(type, name + "__JvpValue", p, w), primal, valueTolerance);

        // Central finite differences, one coordinate at a time.
        for (int i = 0; i < p.Length; i++)
        {
            Compare(failures, $"d/dx{i}", g.Scalars[i], Difference(type, name, p, w, i, -1, h, g.Scalars[i], tolerance), tolerance);
        }

        for (int j = 0; j < w.Length; j++)
        {
            Compare(failures, $"d/dw[{j}]", g.Array[j], Difference(type, name, p, w, -1, j, h, g.Array[j], tolerance), tolerance);
        }

        // JVP along a fixed pseudo-random direction = gradient · direction.
        var random = new Random(42);
        double[] tp = p.Select(_ => random.NextDouble() * 2 - 1).ToArray();
        double[] tw = w.Select(_ => random.NextDouble() * 2 - 1).ToArray();
        double dot = g.Scalars.Zip(tp, (a, b) => a * b).Sum() + g.Array.Zip(tw, (a, b) => a * b).Sum();
        Compare(failures, "JVP vs gradient·tangent", (double)Invoke(type, name + "__Jvp", p, w, tp, tw), dot, exact);

        // VJP with seed 2.5 = 2.5 · gradient.
        var vp = new double[p.Length];
        var vw = new double[w.Length];
        Invoke(type, name + "__Vjp", p, w, 2.5, vp, vw);
        for (int i = 0; i < p.Length; i++)
        {
            Compare(failures, $"VJP d/dx{i}", vp[i], 2.5 * g.Scalars[i], exact);
        }

        for (int j = 0; j < w.Length; j++)
        {
            Compare(failures, $"VJP d/dw[{j}]", vw[j], 2.5 * g.Array[j], exact);
        }

        return failures.Length == 0 ? null : $"{name} at p=[{Format(p)}], w=[{Format(w)}]:\n{failures}";
    }

    public static void AssertCorrect(Type type, string name, double[] p, double[] w, double tolerance = 1e-6)
    {
        string? failure = Check(type, name, p, w, tolerance);
        Assert.True(failure is null, failure);
    }

    /// <summary>
    /// The central difference with step h; where that disagrees with <paramref name="actual"/>, Richardson's
    /// extrapolation of the steps h and h/2, (4 D(h/2) - D(h)) / 3, whose error is O(h⁴) where the central difference's
    /// is O(h²). A steep function (an exponential of an exponential, values near 1e11) puts the central difference
    /// itself 1e-6 away from the true derivative; the extrapolation only ever gives a closer estimate, so a wrong
    /// gradient still fails.
    /// </summary>
    private static double Difference(Type type, string name, double[] p, double[] w, int i, int j, double h, double actual, double tolerance)
    {
        double coarse = CentralDifference(type, name, p, w, i, j, h);
        double scale = Math.Max(1, Math.Max(Math.Abs(actual), Math.Abs(coarse)));
        if (Math.Abs(actual - coarse) <= tolerance * scale)
        {
            return coarse;
        }

        return (4 * CentralDifference(type, name, p, w, i, j, h / 2) - coarse) / 3;
    }

    private static double CentralDifference(Type type, string name, double[] p, double[] w, int i, int j, double h)
    {
        double[] pp = (double[])p.Clone(), pm = (double[])p.Clone(), wp = (double[])w.Clone(), wm = (double[])w.Clone();
        double step;
        if (i >= 0)
        {
            step = h * Math.Max(1, Math.Abs(p[i]));
            pp[i] += step;
            pm[i] -= step;
        }
        else
        {
            step = h * Math.Max(1, Math.Abs(w[j]));
            wp[j] += step;
            wm[j] -= step;
        }

        return (Value(type, name, pp, wp) - Value(type, name, pm, wm)) / (2 * step);
    }

    /// <summary>Appends a line to <paramref name="failures"/> unless actual and expected agree to the tolerance, relative to max(1, |value|).</summary>
    internal static void Compare(StringBuilder failures, string what, double actual, double expected, double tolerance)
    {
        double scale = Math.Max(1, Math.Max(Math.Abs(actual), Math.Abs(expected)));
        if (!(Math.Abs(actual - expected) <= tolerance * scale) && !(double.IsNaN(actual) && double.IsNaN(expected)))
        {
            failures.AppendLine(CultureInfo.InvariantCulture, $"  {what}: got {actual:R}, expected {expected:R} (abs err {Math.Abs(actual - expected):E2})");
        }
    }

    /// <summary>Calls a public static wrapper, unwrapping the exception it throws.</summary>
    internal static object Invoke(Type type, string method, params object[] args)
    {
        MethodInfo info = type.GetMethod(method, BindingFlags.Public | BindingFlags.Static) ?? throw new InvalidOperationException("No wrapper " + method);
        try
        {
            return info.Invoke(null, args)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    internal static string Format(double[] values) => string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}
