using System.Collections;
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

    [Fact]
    public void UnrelatedEdit_RegeneratesNothing()
    {
        var first = GeneratorHarness.Run(Source, Other);
        Compilation compilation = GeneratorHarness.CreateCompilation(Source, Other);
        GeneratorDriver driver = first.Driver.RunGenerators(compilation);

        // Edit the unrelated file and run the same driver again.
        SyntaxTree otherTree = compilation.SyntaxTrees.Last();
        SyntaxTree edited = otherTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Other.Replace("=> 1", "=> 2", StringComparison.Ordinal)));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(otherTree, edited));
        var result = driver.GetRunResult().Results.Single();

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
        var result = driver.GetRunResult().Results.Single();

        string[] steps = { TrackingNames.Parse, TrackingNames.Ir, TrackingNames.Diagnostics, TrackingNames.VectorSupport, TrackingNames.ModelClass, TrackingNames.ModelMethod, TrackingNames.ModelMethodIr };
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
    public void RerunOnClonedCompilation_IsCached()
    {
        var first = GeneratorHarness.Run(Source);
        Compilation clone = GeneratorHarness.CreateCompilation(Source).Clone();
        GeneratorDriver driver = first.Driver.RunGenerators(GeneratorHarness.CreateCompilation(Source));
        driver = driver.RunGenerators(clone);
        var result = driver.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[TrackingNames.Ir].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Models_HoldNoSymbolsSyntaxOrLocations()
    {
        var result = GeneratorHarness.Run(Source);
        var models = result.Driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Ir].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
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
        => (DifferentiableMethod)GeneratorHarness.Run(source).Driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Ir].Single().Outputs.Single().Value;

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
            var result = next.GetRunResult().Results.Single();
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
