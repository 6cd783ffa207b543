using System.Globalization;
using System.Reflection;
using System.Text;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Checks the second derivatives of methods shaped <c>T F(T x0, ..., T x{k-1}, T[] w)</c> marked
/// <c>[Differentiable(SecondOrder = true)]</c>: the Hessian against central differences of the generated gradient (itself
/// checked by <see cref="GradientChecker"/>), its symmetry, the Hessian-vector product against H·v, the directional
/// derivative against ∇f·v, and the directional derivative's VJP against seed·(H·v, ∇f).
/// </summary>
public static class SecondOrderChecker
{
    /// <summary>Array-based wrappers (reflection cannot pass spans) for <paramref name="scalars"/> scalars and one array.</summary>
    public static string Wrappers(string name, int scalars, string type = "double")
    {
        string Sep(string s) => s.Length == 0 ? string.Empty : s + ", ";
        string List(string format) => string.Join(", ", Enumerable.Range(0, scalars).Select(i => string.Format(CultureInfo.InvariantCulture, format, i)));
        string p = List("p[{0}]");
        string tp = List("tp[{0}]");
        return GradientChecker.Wrappers(name, scalars, type) + $$"""

            public static double {{name}}__Hess(double[] pd, double[] wd, double[,] h)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                int n = p.Length + w.Length;
                var hh = new {{type}}[n, n];
                double value = {{name}}Hessian({{Sep(p)}}w, hh);
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) h[i, j] = hh[i, j];
                return value;
            }
            public static double {{name}}__Hvp(double[] pd, double[] wd, double[] tpd, double[] twd, double[] hpd, double[] hwd)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                var tp = Array.ConvertAll(tpd, v => ({{type}})v); var tw = Array.ConvertAll(twd, v => ({{type}})v);
                var hp = new {{type}}[p.Length]; var hw = new {{type}}[w.Length];
                for (int i = 0; i < hw.Length; i++) hw[i] = ({{type}})12345;
                double value = {{name}}Hvp({{Sep(p)}}w, {{Sep(tp)}}tw, {{Sep(List("out hp[{0}]"))}}hw);
                for (int i = 0; i < hp.Length; i++) hpd[i] = hp[i];
                for (int i = 0; i < hw.Length; i++) hwd[i] = hw[i];
                return value;
            }
            public static double {{name}}__Dir(double[] pd, double[] wd, double[] tpd, double[] twd)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                var tp = Array.ConvertAll(tpd, v => ({{type}})v); var tw = Array.ConvertAll(twd, v => ({{type}})v);
                return {{name}}Directional({{Sep(p)}}w, {{Sep(tp)}}tw);
            }
            public static double {{name}}__DirVjp(double[] pd, double[] wd, double[] tpd, double[] twd, double seed, double[] dpd, double[] dwd, double[] dtpd, double[] dtwd)
            {
                var p = Array.ConvertAll(pd, v => ({{type}})v); var w = Array.ConvertAll(wd, v => ({{type}})v);
                var tp = Array.ConvertAll(tpd, v => ({{type}})v); var tw = Array.ConvertAll(twd, v => ({{type}})v);
                var dp = new {{type}}[p.Length]; var dw = new {{type}}[w.Length]; var dtp = new {{type}}[p.Length]; var dtw = new {{type}}[w.Length];
                double value = {{name}}DirectionalVjp({{Sep(p)}}w, {{Sep(tp)}}tw, ({{type}})seed, {{Sep(List("out dp[{0}]"))}}dw, {{Sep(List("out dtp[{0}]"))}}dtw);
                for (int i = 0; i < dp.Length; i++) { dpd[i] = dp[i]; dtpd[i] = dtp[i]; }
                for (int i = 0; i < dw.Length; i++) { dwd[i] = dw[i]; dtwd[i] = dtw[i]; }
                return value;
            }
            """;
    }

    /// <summary>The Hessian the generated <c>{name}Hessian</c> writes, over (p, w) in that order.</summary>
    public static double[,] Hessian(Type type, string name, double[] p, double[] w)
    {
        int n = p.Length + w.Length;
        var h = new double[n, n];
        Invoke(type, name + "__Hess", p, w, h);
        return h;
    }

    /// <summary>Runs every check (<see cref="Check"/>) and fails the test with the description of what failed.</summary>
    public static void AssertCorrect(Type type, string name, double[] p, double[] w, double tolerance = 1e-6, double step = 1e-5)
    {
        string? failure = Check(type, name, p, w, tolerance, step);
        Assert.True(failure is null, failure);
    }

    /// <summary>Runs every check; returns a failure description, or null when all pass.</summary>
    public static string? Check(Type type, string name, double[] p, double[] w, double tolerance = 1e-6, double step = 1e-5)
    {
        var failures = new StringBuilder();
        double exact = tolerance <= 1e-6 ? 1e-9 : 1e-5;
        int n = p.Length + w.Length;
        int k = p.Length;
        double[,] h = Hessian(type, name, p, w);

        // Column j against central differences of the gradient along coordinate j.
        for (int j = 0; j < n; j++)
        {
            double[] pp = (double[])p.Clone(), pm = (double[])p.Clone(), wp = (double[])w.Clone(), wm = (double[])w.Clone();
            double at = j < k ? p[j] : w[j - k];
            double delta = step * Math.Max(1, Math.Abs(at));
            if (j < k)
            {
                pp[j] += delta;
                pm[j] -= delta;
            }
            else
            {
                wp[j - k] += delta;
                wm[j - k] -= delta;
            }

            double[] gp = Flat(GradientChecker.Grad(type, name, pp, wp));
            double[] gm = Flat(GradientChecker.Grad(type, name, pm, wm));
            for (int i = 0; i < n; i++)
            {
                Compare(failures, $"H[{i},{j}]", h[i, j], (gp[i] - gm[i]) / (2 * delta), tolerance);
            }
        }

        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                Compare(failures, $"H[{i},{j}] vs H[{j},{i}]", h[i, j], h[j, i], tolerance);
            }
        }

        // H·v and ∇f·v along a fixed pseudo-random direction.
        var random = new Random(7);
        double[] tp = p.Select(_ => random.NextDouble() * 2 - 1).ToArray();
        double[] tw = w.Select(_ => random.NextDouble() * 2 - 1).ToArray();
        double[] v = tp.Concat(tw).ToArray();
        double[] g = Flat(GradientChecker.Grad(type, name, p, w));
        double dot = g.Zip(v, (a, b) => a * b).Sum();
        var hp = new double[k];
        var hw = new double[w.Length];
        double directional = (double)Invoke(type, name + "__Hvp", p, w, tp, tw, hp, hw);
        double[] hv = hp.Concat(hw).ToArray();
        for (int i = 0; i < n; i++)
        {
            double expected = Enumerable.Range(0, n).Sum(j => h[i, j] * v[j]);
            Compare(failures, $"(H·v)[{i}]", hv[i], expected, exact * 10);
        }

        Compare(failures, "Hvp's value vs ∇f·v", directional, dot, exact);
        Compare(failures, "Directional vs ∇f·v", (double)Invoke(type, name + "__Dir", p, w, tp, tw), dot, exact);

        // The directional derivative's VJP with seed 1.5: 1.5 H·v for the parameters, 1.5 ∇f for the tangents.
        var dp = new double[k];
        var dw = new double[w.Length];
        var dtp = new double[k];
        var dtw = new double[w.Length];
        Invoke(type, name + "__DirVjp", p, w, tp, tw, 1.5, dp, dw, dtp, dtw);
        double[] d = dp.Concat(dw).ToArray();
        double[] dt = dtp.Concat(dtw).ToArray();
        for (int i = 0; i < n; i++)
        {
            Compare(failures, $"DirectionalVjp d/dx[{i}]", d[i], 1.5 * hv[i], exact * 10);
            Compare(failures, $"DirectionalVjp d/dt[{i}]", dt[i], 1.5 * g[i], exact * 10);
        }

        return failures.Length == 0 ? null : $"{name} at p=[{Format(p)}], w=[{Format(w)}]:\n{failures}";
    }

    private static double[] Flat(GradientChecker.Gradient g) => g.Scalars.Concat(g.Array).ToArray();

    private static void Compare(StringBuilder failures, string what, double actual, double expected, double tolerance)
        => GradientChecker.Compare(failures, what, actual, expected, tolerance);

    private static object Invoke(Type type, string method, params object[] args) => GradientChecker.Invoke(type, method, args);

    private static string Format(double[] values) => GradientChecker.Format(values);
}
