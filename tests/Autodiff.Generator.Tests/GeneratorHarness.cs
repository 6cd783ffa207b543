using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Autodiff.Generator;
using Microsoft.CodeAnalysis;
using Xunit;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Autodiff.Generator.Tests;

/// <summary>Runs the generator over in-memory sources, compiles the result and loads it.</summary>
public static class GeneratorHarness
{
    internal static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var references = tpa.Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(DifferentiableAttribute).Assembly.Location));
        references.Add(MetadataReference.CreateFromFile(typeof(Autodiff.Tensor).Assembly.Location));
        return references.ToImmutableArray();
    });

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation CreateCompilation(params string[] sources)
        => CSharpCompilation.Create(
            "TestAssembly" + Guid.NewGuid().ToString("N"),
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    public sealed record Result(Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, ImmutableArray<GeneratedSourceResult> Sources, GeneratorDriver Driver)
    {
        public string Source(string hintContains) => Sources.Single(s => s.HintName.Contains(hintContains, StringComparison.Ordinal)).SourceText.ToString();

        /// <summary>Generator and analyzer diagnostics (not the compiler's).</summary>
        public ImmutableArray<Diagnostic> AutodiffDiagnostics()
        {
            var analyzer = new Autodiff.Generator.Diagnostics.DifferentiableAnalyzer();
            var analyzerDiagnostics = Output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer)).GetAnalyzerDiagnosticsAsync().Result;
            return GeneratorDiagnostics.AddRange(analyzerDiagnostics).Where(d => d.Id.StartsWith("AD", StringComparison.Ordinal)).ToImmutableArray();
        }

        /// <summary>
        /// Asserts one AD diagnostic, of <paramref name="id"/>, at the code <paramref name="at"/>, its message containing
        /// <paramref name="message"/>, and returns it.
        /// </summary>
        public Diagnostic AssertSingle(string id, string at, string message)
        {
            Diagnostic diagnostic = Assert.Single(AutodiffDiagnostics());
            Assert.Equal(id, diagnostic.Id);
            Assert.Equal(at, diagnostic.Location.SourceTree!.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
            Assert.Contains(message, diagnostic.GetMessage(), StringComparison.Ordinal);
            return diagnostic;
        }

        public ImmutableArray<Diagnostic> CompilerErrors() => Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

        /// <summary>Errors in the user's own code (not in a generated file): the input was not valid C# to begin with.</summary>
        public bool InputHasErrors() => CompilerErrors().Any(d => d.Location.SourceTree is { } tree && !Sources.Any(s => s.SyntaxTree == tree));
    }

    /// <summary>Both generators, as the package adds them.</summary>
    public static ISourceGenerator[] Generators => new[] { new DifferentiableGenerator().AsSourceGenerator(), new ModelGenerator().AsSourceGenerator() };

    public static Result Run(params string[] sources) => Run(CreateCompilation(sources));

    public static Result Run(Compilation compilation)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            Generators,
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorDriverRunResult run = driver.GetRunResult();
        return new Result(output, diagnostics.AddRange(run.Diagnostics).Distinct().ToImmutableArray(), run.Results.SelectMany(r => r.GeneratedSources).ToImmutableArray(), driver);
    }

    /// <summary>
    /// <paramref name="source"/> with <paramref name="members"/> (test wrappers) added to its partial class
    /// <paramref name="type"/>: generated without an AD diagnostic, compiled, loaded, and that type returned.
    /// </summary>
    public static Type LoadWith(string source, string type, string members)
    {
        Result result = Run(source + "\npublic static partial class " + type + "\n{\n" + members + "\n}\n");
        Assert.Empty(result.AutodiffDiagnostics());
        return Load(result).GetType(type)!;
    }

    /// <summary>Generates, compiles (failing with the errors and the generated code if it does not compile) and loads.</summary>
    public static Assembly CompileAndLoad(params string[] sources)
    {
        Result result = Run(sources);
        return Load(result);
    }

    public static Assembly Load(Result result)
    {
        using var stream = new MemoryStream();
        var emit = result.Output.Emit(stream);
        if (!emit.Success)
        {
            // Each error with the generated method it is in, so a failure reads without the whole output.
            var errors = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).Select(d =>
            {
                var tree = d.Location.SourceTree;
                if (tree is null)
                {
                    return d.ToString();
                }

                var lines = tree.GetText().Lines;
                int line = d.Location.GetLineSpan().StartLinePosition.Line;
                int from = Math.Max(0, line - 40), to = Math.Min(lines.Count - 1, line + 5);
                return d + "\n" + string.Join("\n", Enumerable.Range(from, to - from + 1).Select(i => (i == line ? ">> " : "   ") + lines[i]));
            });
            throw new InvalidOperationException("Compilation failed:\n" + string.Join("\n\n", errors));
        }

        // Valid user code gets generated code without warnings (a project with TreatWarningsAsErrors must build): every
        // test that compiles generated code checks this, at the highest warning level.
        var warnings = emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree
            && result.Sources.Any(s => s.SyntaxTree.FilePath == tree.FilePath)).Take(5).ToList();
        if (warnings.Count > 0)
        {
            throw new InvalidOperationException("Generated code has warnings:\n" + string.Join("\n", warnings));
        }

        stream.Position = 0;
        var context = new AssemblyLoadContext(null, isCollectible: true);
        return context.LoadFromStream(stream);
    }

    public static MethodInfo Method(Assembly assembly, string type, string name)
        => assembly.GetType(type, throwOnError: true)!.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
           ?? throw new InvalidOperationException($"No method {type}.{name}");
}
