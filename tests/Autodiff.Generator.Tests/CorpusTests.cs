using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Code as people write it (<c>Corpus/*.cs</c>): numerical snippets each with its expectation on the first line.
/// <c>// Expect: gradient at 0.3, -1.2</c>: no AD error, generated code without warnings, and the gradient and a JVP of
/// <c>S.F(double[] x)</c> equal to central differences at that point. <c>// Expect: AD0102 at "x.Sum(v =&gt; v * v)"</c>:
/// that diagnostic at that code (the first line of it), and the snippet's <c>.fixed.cs</c>, the change its message suggests, differentiates.
/// </summary>
public partial class CorpusTests
{
    [GeneratedRegex(@"^// Expect: (?:gradient at (?<point>.+)|(?<id>AD\d{4}) at ""(?<at>.+)"")$")]
    private static partial Regex Expectation();

    private static string Directory([CallerFilePath] string testFile = "") => Path.Combine(Path.GetDirectoryName(testFile)!, "Corpus");

    public static IEnumerable<object[]> Snippets() => System.IO.Directory.GetFiles(Directory(), "*.cs")
        .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).Select(name => new object[] { name! });

    [Fact]
    public void TheCorpusHasItsSnippets()
    {
        string[] names = Snippets().Select(s => (string)s[0]).ToArray();
        Assert.True(names.Count(n => !n.EndsWith(".fixed", StringComparison.Ordinal)) >= 60, $"{names.Length} files");
        foreach (string diagnosed in names.Where(n => !n.EndsWith(".fixed", StringComparison.Ordinal) && Expectation().Match(File.ReadLines(Path.Combine(Directory(), n + ".cs")).First()).Groups["id"].Success))
        {
            Assert.Contains(diagnosed + ".fixed", names);
        }
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void EachSnippet_IsDifferentiatedOrDiagnosedAsItSays(string name)
    {
        string source = File.ReadAllText(Path.Combine(Directory(), name + ".cs"));
        Match expectation = Expectation().Match(source.Split('\n')[0].TrimEnd('\r'));
        Assert.True(expectation.Success, $"{name}: the first line must say what to expect");
        if (expectation.Groups["id"].Success)
        {
            GeneratorHarness.Result diagnosed = GeneratorHarness.Run(source);
            Assert.False(diagnosed.InputHasErrors() && !diagnosed.AutodiffDiagnostics().Any(), $"{name}: the snippet does not compile");
            string at = expectation.Groups["at"].Value;
            Assert.True(diagnosed.AutodiffDiagnostics().Any(d => d.Id == expectation.Groups["id"].Value && Text(d).Split('\n')[0].TrimEnd() == at),
                $"{name}: expected {expectation.Groups["id"].Value} at \"{at}\", got\n{string.Join("\n", diagnosed.AutodiffDiagnostics().Select(d => d + " at \"" + Text(d) + "\""))}");
            return;
        }

        double[] point = expectation.Groups["point"].Value.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        const string wrappers = """

            public static partial class S
            {
                public static double __Value(double[] x) => F(x);
                public static double __Gradient(double[] x, double[] dx) => FGradient(x, dx);
                public static double __Tangent(double[] x, double[] t) => FJvp(x, t).Tangent;
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source + wrappers);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Type type = GeneratorHarness.Load(result).GetType("S")!;
        double Call(string method, params object[] args) => (double)type.GetMethod(method)!.Invoke(null, args)!;

        var gradient = new double[point.Length];
        double value = Call("__Gradient", point, gradient);
        Assert.Equal(Call("__Value", point), value, 12);
        var tangent = point.Select((_, i) => 0.3 + 0.7 * Math.Sin(i + 1.0)).ToArray();
        double directional = 0;
        for (int i = 0; i < point.Length; i++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(point[i]));
            double[] plus = (double[])point.Clone(), minus = (double[])point.Clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (Call("__Value", plus) - Call("__Value", minus)) / (2 * h);
            Assert.True(Math.Abs(fd - gradient[i]) <= 1e-5 * Math.Max(1, Math.Abs(fd)), $"{name}: d/dx[{i}] is {gradient[i]}, finite differences {fd}");
            directional += gradient[i] * tangent[i];
        }

        double jvp = Call("__Tangent", point, tangent);
        Assert.True(Math.Abs(jvp - directional) <= 1e-9 * Math.Max(1, Math.Abs(directional)), $"{name}: the JVP is {jvp}, gradient · tangent {directional}");
    }

    private static string Text(Microsoft.CodeAnalysis.Diagnostic d)
        => d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length);
}
