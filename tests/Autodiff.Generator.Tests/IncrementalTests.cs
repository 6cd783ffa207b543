using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>The incremental pipeline caches: unrelated edits regenerate nothing, and models hold no symbols.</summary>
public class IncrementalTests
{
    private const string Source = """
        using System; using Autodiff;
        namespace I;
        public static partial class A
        {
            [Differentiable] public static double F(double x, double[] w) { double s = 0; for (int i = 0; i < w.Length; i++) s += Math.Sin(w[i] * x); return s; }
        }
        """;

    private const string Other = """
        namespace I;
        public static class Unrelated { public static int Value() => 1; }
        """;

    private const string NestedSource = """
        using System; using Autodiff;
        namespace I;
        public static partial class A
        {
            [Differentiable(SecondOrder = true)] public static double E(double x, double y) => x * x * Math.Sin(y);
            [Differentiable] public static double F(double x, double y) { double e = EGradient(x, y, out double gx, out double gy); return e + EJvp(x, y, gx, gy).Tangent; }
        }
        """;

    private const string MatrixSource = """
        using System; using Autodiff;
        namespace I;
        public static partial class A
        {
            [Differentiable] static double[,] Twice(double[,] m) { var r = new double[m.GetLength(0), m.GetLength(1)]; for (int i = 0; i < m.GetLength(0); i++) for (int j = 0; j < m.GetLength(1); j++) r[i, j] = 2 * m[i, j]; return r; }
            [Differentiable] public static double F(double[,] a, double x) => Twice(a)[0, 0] * x;
        }
        """;

    [Theory]
    [InlineData(Source)]
    [InlineData(NestedSource)] // bound against the generated derivatives' signatures, inside the parse step
    [InlineData(MatrixSource)] // a model with T[,] parameters and helpers
    public void UnrelatedEdit_RegeneratesNothing(string source)
    {
        var first = GeneratorHarness.Run(source, Other);
        Assert.Empty(first.AutodiffDiagnostics());
        Compilation compilation = GeneratorHarness.CreateCompilation(source, Other);
        GeneratorDriver driver = first.Driver.RunGenerators(compilation);

        // Edit the unrelated file and run the same driver again.
        SyntaxTree otherTree = compilation.SyntaxTrees.Last();
        SyntaxTree edited = otherTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Other.Replace("=> 1", "=> 2", StringComparison.Ordinal)));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(otherTree, edited));
        var result = Steps.Of(driver);

        foreach (string step in new[] { TrackingNames.Ir })
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    private const string ModelSource = """
        using System; using Autodiff; using Autodiff.Layers;
        namespace I;
        [Model]
        public sealed partial class Net
        {
            public Dense Layer = new(3, 2, new Random(1));
            public Tensor Scale = Tensor.Full(1f, 2);

            [Differentiable]
            public float Loss(Tensor x, int[] labels) => Tensor.SoftmaxCrossEntropy(Layer.Forward(x) * Scale, labels);
        }
        """;

    [Fact]
    public void UnrelatedEdit_LeavesEveryStepOfBothPipelinesCached()
    {
        // Every tracked step, the scalar pipeline's (Parse, Ir, Diagnostics, VectorSupport) and the model pipeline's
        // (ModelClass, ModelMethod, ModelMethodIr), and every output.
        var first = GeneratorHarness.Run(Source, ModelSource, Other);
        Compilation compilation = GeneratorHarness.CreateCompilation(Source, ModelSource, Other);
        GeneratorDriver driver = first.Driver.RunGenerators(compilation);
        SyntaxTree otherTree = compilation.SyntaxTrees.Last();
        SyntaxTree edited = otherTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Other.Replace("=> 1", "=> 2", StringComparison.Ordinal)));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(otherTree, edited));
        var result = Steps.Of(driver);

        string[] steps = { TrackingNames.Parse, TrackingNames.Ir, TrackingNames.Diagnostics, TrackingNames.VectorSupport, TrackingNames.ModelClass, TrackingNames.ModelMethod, TrackingNames.ModelMethodIr, TrackingNames.ModelMethodDiagnostics };
        foreach (string step in steps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), step + " is not tracked");
            Assert.NotEmpty(result.TrackedSteps[step].SelectMany(s => s.Outputs));
            Assert.All(result.TrackedSteps[step].SelectMany(s => s.Outputs),
                o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void UnrelatedEdit_KeepsDiagnosticsCached_AndStillReported()
    {
        // A warning (AD0301, a piecewise-constant function) is an equatable value: an edit elsewhere leaves the step
        // cached, the driver replays the warning, and it still points into the user's tree (so #pragma applies).
        string warned = Source.Replace("s += Math.Sin(w[i] * x);", "s += Math.Sin(w[i] * x) + Math.Floor(x);", StringComparison.Ordinal);
        Compilation compilation = GeneratorHarness.CreateCompilation(warned, Other);
        GeneratorDriver driver = GeneratorHarness.Run(warned, Other).Driver.RunGenerators(compilation);
        SyntaxTree otherTree = compilation.SyntaxTrees.Last();
        SyntaxTree edited = otherTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Other.Replace("=> 1", "=> 2", StringComparison.Ordinal)));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(otherTree, edited));
        Steps steps = Steps.Of(driver);
        Assert.All(steps.TrackedSteps[TrackingNames.Diagnostics].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Diagnostic warning = Assert.Single(driver.GetRunResult().Diagnostics, d => d.Id == "AD0301");
        Assert.Same(compilation.SyntaxTrees.First(), warning.Location.SourceTree);

        // An edit of the warned file after the warning (its span unchanged): re-reported in the new tree, which is the
        // only tree the compiler can apply suppressions in (a replay of the old one made the driver throw).
        Compilation current = compilation.ReplaceSyntaxTree(otherTree, edited);
        SyntaxTree warnedTree = current.SyntaxTrees.First();
        SyntaxTree warnedEdited = warnedTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(warned + "\n// edited\n"));
        driver = driver.RunGenerators(current.ReplaceSyntaxTree(warnedTree, warnedEdited));
        Assert.Same(warnedEdited, Assert.Single(driver.GetRunResult().Diagnostics, d => d.Id == "AD0301").Location.SourceTree);
    }

    [Fact]
    public void MarkingACalleeSecondOrder_InAnotherFile_RegeneratesTheCaller_AndClearsAD0114()
    {
        // The caller's model holds whether each callee has second derivatives, so an edit to the callee's attribute
        // alone must reach the caller (a stale cached AD0114, or a caller still stubbed, would be wrong).
        const string caller = """
            using System; using Autodiff;
            namespace I;
            public static partial class Caller { [Differentiable(SecondOrder = true)] public static double F(double x) => Callee.G(x) * x; }
            """;
        const string callee = """
            using System; using Autodiff;
            namespace I;
            public static partial class Callee { [Differentiable] public static double G(double x) => Math.Sin(x); }
            """;
        var first = GeneratorHarness.Run(caller, callee);
        Assert.Contains(first.GeneratorDiagnostics, d => d.Id == "AD0114");
        Compilation compilation = GeneratorHarness.CreateCompilation(caller, callee);
        SyntaxTree calleeTree = compilation.SyntaxTrees.Last();
        SyntaxTree edited = calleeTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(callee.Replace("[Differentiable]", "[Differentiable(SecondOrder = true)]", StringComparison.Ordinal)));
        GeneratorDriver driver = first.Driver.RunGeneratorsAndUpdateCompilation(compilation.ReplaceSyntaxTree(calleeTree, edited), out Compilation output, out var diagnostics);
        Assert.DoesNotContain(driver.GetRunResult().Diagnostics.Concat(diagnostics), d => d.Id == "AD0114");
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Contains(driver.GetRunResult().Results.SelectMany(r => r.GeneratedSources), s => s.SourceText.ToString().Contains("FHvp(", StringComparison.Ordinal) && !s.SourceText.ToString().Contains("could not differentiate 'F'", StringComparison.Ordinal));
    }

    [Fact]
    public void RerunOnClonedCompilation_IsCached()
    {
        var first = GeneratorHarness.Run(Source);
        Compilation clone = GeneratorHarness.CreateCompilation(Source).Clone();
        GeneratorDriver driver = first.Driver.RunGenerators(GeneratorHarness.CreateCompilation(Source));
        driver = driver.RunGenerators(clone);
        var result = Steps.Of(driver);
        Assert.All(result.TrackedSteps[TrackingNames.Ir].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Models_HoldNoSymbolsSyntaxOrLocations()
    {
        var result = GeneratorHarness.Run(Source);
        var models = Steps.Of(result.Driver).TrackedSteps[TrackingNames.Ir].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.NotEmpty(models);
        foreach (object model in models)
        {
            AssertNoRoslynObjects(model, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    private static void AssertNoRoslynObjects(object? value, HashSet<object> seen)
    {
        if (value is null or string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        Assert.False(value is ISymbol or Compilation or SyntaxNode or SyntaxTree or IOperation or Location or SemanticModel, "Model holds a " + value.GetType().Name);
        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                AssertNoRoslynObjects(item, seen);
            }
        }

        if (value.GetType().Namespace?.StartsWith("Autodiff.Generator", StringComparison.Ordinal) != true)
        {
            return;
        }

        foreach (PropertyInfo property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0 && property.Name != "EqualityContract")
            {
                AssertNoRoslynObjects(property.GetValue(value), seen);
            }
        }
    }

    private static DifferentiableMethod Model(string source)
        => (DifferentiableMethod)Steps.Of(GeneratorHarness.Run(source).Driver).TrackedSteps[TrackingNames.Ir].Single().Outputs.Single().Value;

    [Fact]
    public void SameSource_GivesEqualModel() => Assert.Equal(Model(Source), Model(Source));

    [Fact]
    public void MovedCode_GivesEqualModel()
    {
        string moved = Source.Replace("public static partial class A\n{", "public static partial class A\n{\n\n    // a comment that moves the method down\n", StringComparison.Ordinal);
        Assert.NotEqual(Source, moved);
        Assert.Equal(Model(Source), Model(moved));
    }

    [Fact]
    public void ChangedCode_GivesUnequalModel()
        => Assert.NotEqual(Model(Source), Model(Source.Replace("Math.Sin", "Math.Cos", StringComparison.Ordinal)));

    [Fact]
    public void EquatableArray_ComparesByContent()
    {
        var a = new[] { "x", "y" }.ToEquatableArray();
        var b = new List<string> { "x", "y" }.ToEquatableArray();
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new[] { "y", "x" }.ToEquatableArray());
        Assert.Equal(default(EquatableArray<string>), EquatableArray<string>.Empty);
        Assert.True(a == b);
    }
}

public class SameFileEditTests
{
    [Fact]
    public void EditToAnotherMethodInTheSameFile_RegeneratesNothing()
    {
        const string before = """
            using System; using Autodiff;
            public static partial class A
            {
                [Differentiable] public static double F(double x) => Math.Sin(x) * x;
                [Differentiable] public static double G(double x) => Math.Cos(x) + x;
                public static int Helper() => 1;
            }
            """;
        Compilation compilation = GeneratorHarness.CreateCompilation(before);
        GeneratorDriver driver = GeneratorHarness.Run(before).Driver.RunGenerators(compilation);
        foreach (string edited in new[] { before.Replace("=> 1;", "=> 2;", StringComparison.Ordinal), before.Replace("Math.Cos(x) + x", "Math.Cos(x) + x  ", StringComparison.Ordinal) })
        {
            SyntaxTree tree = compilation.SyntaxTrees.Single();
            GeneratorDriver next = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(edited))));
            var result = Steps.Of(next);
            Assert.All(result.TrackedSteps[TrackingNames.Ir].SelectMany(s => s.Outputs),
                o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
            Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
                o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        }
    }
}

public class OtherAssemblyTests
{
    [Fact]
    public void RegisteredDerivative_ForAFunctionInAnotherAssembly()
    {
        // A "third-party" assembly compiled on its own, without the generator.
        var library = CSharpCompilation.Create("ThirdParty",
            new[] { CSharpSyntaxTree.ParseText("namespace ThirdParty; public static class Special { public static double Cube(double a) => a * a * a; }") },
            GeneratorHarness.CreateCompilation().References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        Assert.True(library.Emit(stream).Success);
        var reference = MetadataReference.CreateFromImage(stream.ToArray());

        const string user = """
            using System; using Autodiff;
            [assembly: RegisterDerivative(typeof(ThirdParty.Special), nameof(ThirdParty.Special.Cube), typeof(Mine), nameof(Mine.CubeVjp))]
            public static partial class Mine
            {
                public static double CubeVjp(double a, double seed, out double da) { da = seed * 3 * a * a; return a * a * a; }
                [Differentiable] public static double F(double x) => ThirdParty.Special.Cube(x) * 2;
            }
            """;
        var result = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(user).AddReferences(reference));
        Assert.Empty(result.AutodiffDiagnostics());
        Assert.Empty(result.CompilerErrors());
        Assert.Contains("global::Mine.CubeVjp(", result.Source("Mine.F"), StringComparison.Ordinal);
    }
}

/// <summary>The tracked steps of both generators' last run, as one result.</summary>
internal sealed record Steps(IReadOnlyDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> TrackedSteps, IReadOnlyDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> TrackedOutputSteps)
{
    public static Steps Of(GeneratorDriver driver)
    {
        GeneratorDriverRunResult run = driver.GetRunResult();
        Assert.Equal(2, run.Results.Length);
        return new Steps(
            Merge(run.Results.SelectMany(r => r.TrackedSteps)),
            Merge(run.Results.SelectMany(r => r.TrackedOutputSteps)));
    }

    // Steps of the same name in both generators (Roslyn's own, such as the attribute lookup) are listed together.
    private static Dictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> Merge(IEnumerable<KeyValuePair<string, ImmutableArray<IncrementalGeneratorRunStep>>> steps)
        => steps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.SelectMany(p => p.Value).ToImmutableArray());
}
