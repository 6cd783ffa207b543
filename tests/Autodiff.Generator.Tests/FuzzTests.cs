using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Mutation and truncation fuzzing of a corpus of valid scalar and model code, with a fixed seed and a bounded count
/// (AUTODIFF_FUZZ_SEED replays another run). Whatever the input, the generator must not throw (CS8785), and when the
/// mutated input is valid C#: no AD0901 and no error in a generated file. Truncation is code as typed in the IDE,
/// cut at a token; a mutation deletes, duplicates, swaps or replaces a token.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const string Scalar = "using System; using Autodiff;\nnamespace Fuzz;\npublic static partial class C\n{\n";

    private static readonly string[] Corpus =
    {
        Scalar + SnapshotTests.Cases().Select(c => (string)c[1]).Aggregate((a, b) => a + "\n" + b) + "\n}\n",
        Scalar + """
            [Differentiable] public static double R(double x, int n) => n == 0 ? x : Math.Sin(R(x, n - 1)) * x;
            [Differentiable] public static double F([NoDerivative] double x, double y) { while (x < 5) x = x + y * y + 1; return x; }
            [Differentiable] public static double G(double x, double[] w) { double s = 0; foreach (double v in w) { if (double.IsNaN(v)) continue; s += Math.Max(v * x, 0.0); } return s + Ad.StopGradient(Math.Floor(x)); }
            }
            """,
        Scalar + """
            [Differentiable(SecondOrder = true)] public static double Inner(double a, double b) => a * a * b + Math.Sin(b) / (1 + a * a);
            [Differentiable(SecondOrder = true)] public static double Outer(double x, double[] w) { double best = double.PositiveInfinity; for (int i = 0; i < w.Length; i++) best = Math.Min(best, Inner(w[i], x)); return best * Math.Exp(x) + (x > 0 ? Inner(x, x) : -x); }
            [Differentiable] public static void Fit(ReadOnlySpan<double> p, [NoDerivative] double[] t, [Output] Span<double> r) { for (int i = 0; i < t.Length; i++) { r[i] = p[0] * Math.Exp(-p[1] * t[i]); if (r[i] > 4) return; } }
            [Differentiable] public static void Pair(double x, float y, [Output] double[] r) { r[0] = x * y; r[1] = r[0] + Math.Tanh(x); }
            [Differentiable] static void Fill(double a, Span<double> z) { for (int k = 0; k < z.Length; k++) { if (a > 9) return; z[k] = a * k; } }
            [Differentiable] public static double Guarded(double x, double[] w) { ArgumentNullException.ThrowIfNull(w); if (w.Length < 2) throw new ArgumentException("short", nameof(w)); Span<double> z = stackalloc double[3]; Fill(x * w[1], z); return z[2] + w[0]; }
            }
            """,
        "using System; using Autodiff; using Autodiff.Layers;\nnamespace Fuzz;\n" + """
            [Model]
            public sealed partial class Net
            {
                public Dense[] Blocks = { new(4, 4, new Random(1)), new(4, 4, new Random(2)) };
                public Tensor Scale = Tensor.Full(1f, 4);

                [Differentiable]
                public Tensor Forward(Tensor x) => Tensor.Relu(Blocks[0].Forward(x)) * Scale;

                [Differentiable]
                public float Loss(Tensor x, int[] labels, float decay, int rounds)
                {
                    float penalty = 0f;
                    for (int r = 0; r < rounds; r++)
                    {
                        foreach (Dense block in Blocks)
                        {
                            x = Tensor.Tanh(block.Forward(x)) + x;
                            penalty += Tensor.Sum(block.Weight * block.Weight);
                        }
                    }

                    Tensor h = Forward(x);
                    if (decay > 0.5f) h = h * 2f;
                    return Tensor.SoftmaxCrossEntropy(h, labels) + decay * penalty + Tensor.Mean(h * (1f / h.Columns));
                }
            }
            """,
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mutated_and_truncated_code_never_breaks_the_generator(int corpus)
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("AUTODIFF_FUZZ_SEED"), out int given) ? given : 20261204;
        var random = new Random(seed + corpus);
        string source = Corpus[corpus];
        SyntaxToken[] tokens = SyntaxFactory.ParseTokens(source).Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToArray();
        Assert.True(Check(source, out string? problem, out bool corpusValid) && corpusValid, "the unmutated corpus: " + problem);

        int valid = 0, runs = 0;
        var failures = new List<string>();
        // Truncations: 40 cut points spread over the file (as typed, the code ends early).
        for (int k = 1; k <= 40; k++)
        {
            int cut = tokens.Length * k / 41;
            Record(string.Concat(tokens.Take(cut).Select(t => t.ToFullString())), "truncated at token " + cut);
        }

        // Mutations: 80 single-token edits, a third of them by a token of the same kind.
        string[] vocabulary = tokens.Select(t => t.Text).Distinct().ToArray();
        for (int k = 0; k < 80; k++)
        {
            var list = tokens.Select(t => t.ToFullString()).ToList();
            int at = random.Next(list.Count);
            string what;
            switch (random.Next(6))
            {
                case 4:
                case 5:
                    // A token of the same kind (an operator for an operator, a literal for a literal, a name for a
                    // name): mostly valid C#, so the generator's own output gets compiled and checked.
                    SyntaxToken[] sameKind = tokens.Where(t => t.RawKind == tokens[at].RawKind).ToArray();
                    string same = sameKind[random.Next(sameKind.Length)].Text;
                    what = $"replaced token {at} '{tokens[at].Text}' by '{same}'";
                    list[at] = tokens[at].LeadingTrivia.ToFullString() + same + tokens[at].TrailingTrivia.ToFullString();
                    break;
                case 0:
                    what = $"deleted token {at} '{tokens[at].Text}'";
                    list.RemoveAt(at);
                    break;
                case 1:
                    what = $"duplicated token {at} '{tokens[at].Text}'";
                    list.Insert(at, tokens[at].Text + " ");
                    break;
                case 2:
                    int other = random.Next(list.Count);
                    what = $"swapped tokens {at} '{tokens[at].Text}' and {other} '{tokens[other].Text}'";
                    (list[at], list[other]) = (list[other], list[at]);
                    break;
                default:
                    string replacement = vocabulary[random.Next(vocabulary.Length)];
                    what = $"replaced token {at} '{tokens[at].Text}' by '{replacement}'";
                    list[at] = tokens[at].LeadingTrivia.ToFullString() + replacement + tokens[at].TrailingTrivia.ToFullString();
                    break;
            }

            Record(string.Concat(list), what);
        }

        output.WriteLine($"seed {seed}, corpus {corpus}: {runs} runs, {valid} of them valid C#, {failures.Count} failures");
        Assert.True(failures.Count == 0, $"AUTODIFF_FUZZ_SEED={seed}, corpus {corpus}:\n" + string.Join("\n\n", failures.Take(3)));

        void Record(string mutated, string what)
        {
            runs++;
            if (!Check(mutated, out string? failure, out bool isValid))
            {
                failures.Add(what + ": " + failure + "\n" + mutated);
            }

            valid += isValid ? 1 : 0;
        }
    }

    private static bool Check(string source, out string? problem) => Check(source, out problem, out _);

    private static bool Check(string source, out string? problem, out bool valid)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        valid = !result.InputHasErrors();
        if (result.GeneratorDiagnostics.FirstOrDefault(d => d.Id == "CS8785") is { } crash)
        {
            problem = crash.ToString();
            return false;
        }

        if (valid)
        {
            if (result.GeneratorDiagnostics.FirstOrDefault(d => d.Id == "AD0901") is { } internalError)
            {
                problem = internalError.ToString();
                return false;
            }

            var generated = result.Sources.Select(s => s.SyntaxTree).ToHashSet();
            if (result.CompilerErrors().FirstOrDefault(d => d.Location.SourceTree is { } tree && generated.Contains(tree)) is { } error)
            {
                problem = error.ToString();
                return false;
            }
        }

        problem = null;
        return true;
    }
}
