using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// float works like double: each float method is compiled beside its double twin (the same text with double
/// and Math), whose derivatives the other tests check; float gradients, JVPs and VJPs must agree to float accuracy.
/// </summary>
public class FloatTests
{
    public static readonly (string Name, string Body)[] Cases =
    {
        ("Arithmetic", "float s = x * y - x / (y + 2f); s += 0.5f * x; return -s * s;"),
        ("MathF", "return MathF.Sin(x) * MathF.Exp(y * 0.5f) + MathF.Sqrt(1f + x * x) + MathF.Tanh(x * y) + MathF.Log(2f + MathF.Cos(y)) + MathF.Atan2(y, 2f + x);"),
        ("PowMaxMin", "return MathF.Pow(1.5f + MathF.Sin(x), y) + MathF.Max(x, y) - MathF.Min(x * 0.5f, y) + MathF.Abs(x - 0.1f);"),
        ("Branches", "if (x > y) return x * y; float z = x + y; return z > 1f ? z * z : MathF.Sin(z);"),
        ("Loop", "float s = 0f; for (int i = 0; i < w.Length; i++) { if (w[i] < -0.5f) continue; s = s * 0.5f + MathF.Tanh(w[i] * x + y); if (s > 3f) break; } return s;"),
        ("Foreach", "float s = 1f; foreach (float v in w) s = s * MathF.Cos(v * x) + y; return s;"),
        ("LocalArray", "float[] h = new float[w.Length]; for (int i = 0; i < h.Length; i++) h[i] = w[i] * x + y; float s = 0f; for (int i = 0; i < h.Length; i++) s += h[i] * h[(i + 1) % h.Length]; return s;"),
        ("FusedSum", "float s = 0f; for (int i = 0; i < w.Length; i++) { float a = w[i] - x; s += a * a * y + MathF.Sin(a); } return s;"),
        ("Switch", "float s = 0f; foreach (float v in w) { switch (v * x) { case < -0.1f: s -= v * y; break; default: s += (v + x) switch { > 0.9f and < 1.2f => MathF.Sqrt(v + x), not < 1.3f => v * v * x, _ => y }; break; } } return s;"),
        ("MixedWithDouble", "double d = Math.Exp(x); return (float)(d * y) + x;"),
    };

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        var members = new List<string>();
        foreach ((string name, string body) in Cases)
        {
            members.Add($"[Differentiable] public static float F{name}(float x, float y, float[] w) {{ {body} }}\n" + GradientChecker.Wrappers("F" + name, 2, "float"));
            string twin = body.Replace("MathF.", "Math.", StringComparison.Ordinal).Replace("float", "double", StringComparison.Ordinal)
                .Replace("(double)(d * y)", "(d * y)", StringComparison.Ordinal);
            twin = System.Text.RegularExpressions.Regex.Replace(twin, @"(\d)f\b", "$1");
            members.Add($"[Differentiable] public static double D{name}(double x, double y, double[] w) {{ {twin} }}\n" + GradientChecker.Wrappers("D" + name, 2));
        }

        string source = "using System; using Autodiff;\npublic static partial class Floats\n{\n" + string.Join("\n", members) + "\n}\n";
        return GeneratorHarness.CompileAndLoad(source).GetType("Floats")!;
    });

    public static IEnumerable<object[]> Names() => Cases.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Names))]
    public void FloatDerivativesMatchDoubleTwin(string name)
    {
        double[] p = { 0.6137, 0.4291 };
        double[] w = { 0.5113, -0.3071, 0.8233, -0.6179 };
        GradientChecker.AssertCorrect(Compiled.Value, "D" + name, p, w);
        var single = GradientChecker.Grad(Compiled.Value, "F" + name, p, w);
        var twin = GradientChecker.Grad(Compiled.Value, "D" + name, p, w);
        Assert.Equal(twin.Value, single.Value, 1e-4 * Math.Max(1, Math.Abs(twin.Value)));
        foreach ((double f, double d) in single.Scalars.Zip(twin.Scalars).Concat(single.Array.Zip(twin.Array)))
        {
            Assert.Equal(d, f, 1e-4 * Math.Max(1, Math.Abs(d)));
        }

        // float JVP and VJP are consistent with the float gradient (float rounding only).
        Assert.Null(GradientChecker.Check(Compiled.Value, "F" + name, p, w, tolerance: 2e-2, h: 1e-2));
    }
}
