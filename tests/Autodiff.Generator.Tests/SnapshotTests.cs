using System.Runtime.CompilerServices;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Snapshots of generated code (plain approved files in Snapshots/; Verify.SourceGenerators is not in the
/// registry). A change writes <c>*.received.txt</c> beside the snapshot and fails; review it, then rerun with
/// AUTODIFF_ACCEPT_SNAPSHOTS=1 to accept.
/// </summary>
public class SnapshotTests
{
    public static IEnumerable<object[]> Cases() => new[]
    {
        new object[] { "QuickStart", "[Differentiable] public static double Model(double x, double[] w) => Math.Tanh(w[0] * x + w[1]) * w[2];" },
        new object[] { "Rosenbrock", "[Differentiable] public static double Rosenbrock(double[] x) { double s = 0; for (int i = 0; i < x.Length - 1; i++) { double a = 1 - x[i]; double b = x[i + 1] - x[i] * x[i]; s += a * a + 100 * b * b; } return s; }" },
        new object[] { "Branchy", "[Differentiable] public static double Huber(double r, [NoDerivative] double delta) { double a = Math.Abs(r); if (a <= delta) return 0.5 * r * r; return delta * (a - 0.5 * delta); }" },
        new object[] { "FloatLoopBreak", "[Differentiable] public static float Decay(float x, float[] w, int steps) { float s = x; for (int i = 0; i < steps; i++) { if (s > 10f) break; s = MathF.Sin(s) * w[i % w.Length] + s; } return s; }" },
        new object[] { "Composition", "[Differentiable] static double Square(double a) => a * a; [Differentiable] public static double Norm(ReadOnlySpan<double> v) { double s = 0; foreach (double e in v) s += Square(e); return Math.Sqrt(s); }" },
        new object[] { "Switch", "[Differentiable] public static double Activation(double x, double a, int kind) { double y; switch (kind) { case 0: y = x > 0 ? x : a * x; break; case 1: y = Math.Tanh(a * x); break; default: y = x; break; } return y * (x switch { < -1.0 => a, _ => 1.0 }); }" },
        new object[] { "SecondOrder", "[Differentiable(SecondOrder = true)] public static double SoftPlus(double x, double[] w) { double s = 0; for (int i = 0; i < w.Length; i++) s += Math.Exp(w[i] * x); return Math.Log(1 + s); }" },
        new object[] { "VectorValued", "[Differentiable] public static void Polar(double radius, double angle, [Output] Span<double> xy) { xy[0] = radius * Math.Cos(angle); xy[1] = radius * Math.Sin(angle); }" },
        new object[] { "Nested", "[Differentiable(SecondOrder = true)] public static double Energy(double x, double y) => x * x * y + Math.Cos(y); [Differentiable] public static double AfterStep(double x, double y, double rate) { Energy" + "Gradient(x, y, out double gx, out double gy); return Energy(x - rate * gx, y - rate * gy); }" },
        new object[] { "Matrix", "[Differentiable] public static double Bilinear(double[,] a, double[] x) { double s = 0; for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) s += x[i] * a[i, j] * x[j]; return s; }" },
        new object[] { "LocalArray", "[Differentiable] public static double Smooth(double[] x) { Span<double> h = stackalloc double[x.Length]; for (int i = 0; i < x.Length; i++) h[i] = Math.Exp(-x[i] * x[i]); double s = 0; for (int i = 1; i < h.Length; i++) s += h[i] * h[i - 1]; return s; }" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GeneratedCodeMatchesSnapshot(string name, string members)
    {
        var result = GeneratorHarness.Run("using System; using Autodiff;\nnamespace Snapshots;\npublic static partial class Example\n{\n" + members + "\n}\n");
        Assert.Empty(result.CompilerErrors());
        string generated = string.Join("\n", result.Sources.Where(s => s.HintName.StartsWith("Snapshots.", StringComparison.Ordinal)).OrderBy(s => s.HintName, StringComparer.Ordinal).Select(s => $"//// {s.HintName}\n{s.SourceText}"));
        // The version is scrubbed, so releases do not churn every snapshot.
        generated = generated.Replace("\"" + Emit.DerivativeEmitter.Version + "\"", "\"{version}\"", StringComparison.Ordinal);
        VerifySnapshot(name, generated);
    }

    [Fact]
    public void EverySnapshotCase_BuildsWithWarningsAsErrors()
    {
        // All the cases in one project with TreatWarningsAsErrors and every warning wave: the user code and the
        // generated code build. (Every test that compiles generated code also checks it has no warning.)
        string members = string.Join("\n", Cases().Select(c => (string)c[1]));
        var compilation = GeneratorHarness.CreateCompilation("using System; using Autodiff;\nnamespace Snapshots;\npublic static partial class Example\n{\n" + members + "\n}\n");
        compilation = compilation.WithOptions(compilation.Options.WithGeneralDiagnosticOption(Microsoft.CodeAnalysis.ReportDiagnostic.Error));
        GeneratorHarness.Result result = GeneratorHarness.Run(compilation);
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.Empty(result.CompilerErrors());
    }

    internal static void VerifySnapshot(string name, string actual, [CallerFilePath] string testFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string verified = Path.Combine(directory, name + ".verified.txt");
        string received = Path.Combine(directory, name + ".received.txt");
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        string? existing = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (Environment.GetEnvironmentVariable("AUTODIFF_ACCEPT_SNAPSHOTS") == "1")
        {
            // Accepting is not testing: a run that accepts a changed snapshot fails, so the change is reviewed (git diff)
            // and a second run without the variable passes; in CI the variable is an error whatever it would accept.
            Assert.False(Environment.GetEnvironmentVariable("CI") is { Length: > 0 }, "AUTODIFF_ACCEPT_SNAPSHOTS is set in CI: snapshots would accept any output.");
            if (existing != actual)
            {
                Directory.CreateDirectory(directory);
                File.WriteAllText(verified, actual);
                Assert.Fail($"Accepted a changed snapshot {verified}: review it with git diff, then run the tests without AUTODIFF_ACCEPT_SNAPSHOTS.");
            }
        }

        if (!File.Exists(verified))
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"No snapshot {verified}; wrote {received}. Review it and rename it to .verified.txt.");
        }

        string expected = File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (expected != actual)
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"Generated code differs from {verified}; see {received} (AUTODIFF_ACCEPT_SNAPSHOTS=1 accepts).");
        }

        if (File.Exists(received))
        {
            File.Delete(received);
        }
    }
}
