using System.Collections.Immutable;
using Autodiff.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The code fixes (<see cref="AutodiffCodeFixProvider"/>): each is applied in a workspace to the diagnostic the generator
/// or analyzer reports, and the fixed code must then generate without an AD error and compile.
/// </summary>
public class CodeFixTests
{
    [Theory]
    [InlineData("AD0002", "Make the containing types partial", """
        using System; using Autodiff;
        public static class Outer
        {
            public static class C
            {
                [Differentiable] public static double F(double x) => x * x;
            }
        }
        """, "public static partial class Outer")]
    [InlineData("AD0104", "Wrap in Ad.StopGradient", """
        using System; using Autodiff;
        public static partial class C
        {
            static double Opaque(double v) => v > 0 ? 1.0 : -1.0;
            [Differentiable] public static double F(double x, double k) => x * Opaque(k * x);
        }
        """, "x * Ad.StopGradient(Opaque(k * x))")]
    [InlineData("AD0104", "Mark 'k' [NoDerivative]", """
        using System; using Autodiff;
        public static partial class C
        {
            static double Opaque(double v) => v > 0 ? 1.0 : -1.0;
            [Differentiable] public static double F(double x, double k) => x * Opaque(k);
        }
        """, "F(double x, [NoDerivative] double k)")]
    [InlineData("AD0102", "Write the Sum as a loop", """
        using System; using System.Linq; using Autodiff;
        public static partial class C
        {
            [Differentiable] public static double F(double[] w, double x) => x * w.Sum(v => v * v);
        }
        """, "sum += v * v;")]
    [InlineData("AD0102", "Write the Max as a loop", """
        using System; using System.Linq; using Autodiff;
        public static partial class C
        {
            [Differentiable]
            public static double F(double[] w, double x)
            {
                double m = w.Max() + x;
                return m * x;
            }
        }
        """, "max = Math.Max(max, v);")]
    [InlineData("AD0102", "Write the Average as a loop", """
        using System; using System.Linq; using Autodiff;
        public static partial class C
        {
            [Differentiable]
            public static double F(double[] w, double x)
            {
                return Enumerable.Average(w, e => Math.Sin(e * x));
            }
        }
        """, "(sum / w.Length)")]
    public async Task FixMakesTheCodeDifferentiable(string id, string title, string source, string expected)
    {
        string fixedSource = await ApplyAsync(source, id, title);
        Assert.Contains(expected, fixedSource, StringComparison.Ordinal);
        GeneratorHarness.Result result = GeneratorHarness.Run(fixedSource);
        Assert.Empty(result.AutodiffDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(result.CompilerErrors());
    }

    [Fact]
    public async Task NoLoopFixForANonLinqExpression()
    {
        // AD0102 at a call that is not LINQ (a local function in a branch) gets no loop fix.
        const string source = """
            using System; using Autodiff;
            public static partial class C
            {
                [Differentiable] public static double F(double x) { double Sq(double v) => v * v; return x > 0 ? Sq(x) : 0; }
            }
            """;
        Assert.Empty(await ActionsAsync(source, "AD0102"));
    }

    private static async Task<string> ApplyAsync(string source, string id, string title)
    {
        (Document document, List<CodeAction> actions) = await FixesAsync(source, id);
        CodeAction action = Assert.Single(actions, a => a.Title.StartsWith(title, StringComparison.Ordinal));
        ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(CancellationToken.None);
        Solution changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString();
    }

    private static async Task<List<CodeAction>> ActionsAsync(string source, string id) => (await FixesAsync(source, id)).Actions;

    // The document in a workspace, and the fixes offered for the first diagnostic of the id (found by the generator and
    // analyzer run on the same text).
    private static async Task<(Document Document, List<CodeAction> Actions)> FixesAsync(string source, string id)
    {
        var workspace = new AdhocWorkspace();
        ProjectInfo info = ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Create(), "Fix", "Fix", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: GeneratorHarness.ParseOptions, metadataReferences: GeneratorHarness.References.Value);
        Project project = workspace.AddProject(info);
        Document document = workspace.AddDocument(project.Id, "Source0.cs", SourceText.From(source));
        Diagnostic reported = GeneratorHarness.Run(source).AutodiffDiagnostics().First(d => d.Id == id);
        SyntaxTree tree = (await document.GetSyntaxTreeAsync())!;
        Diagnostic diagnostic = Diagnostic.Create(reported.Descriptor, Location.Create(tree, reported.Location.SourceSpan));
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await new AutodiffCodeFixProvider().RegisterCodeFixesAsync(context);
        return (document, actions);
    }
}
