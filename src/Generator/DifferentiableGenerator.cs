using System;
using System.Collections.Immutable;
using System.Threading;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Autodiff.Generator;

/// <summary>Writes <c>{Name}Gradient</c>, <c>{Name}Vjp</c> and <c>{Name}Jvp</c> for every <c>[Differentiable]</c> method.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class DifferentiableGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 0. The tape and span helpers that generated code uses, once per compilation
        context.RegisterPostInitializationOutput(AddSupportTypes);

        // 1. Every [Differentiable] method -> equatable IR + raw diagnostics (no symbols past this point)
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(WellKnownNames.DifferentiableAttribute, IsMethodDeclaration, MethodParser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        // 2. Source: only the model flows on, so an equal model means no re-emit
        IncrementalValuesProvider<DifferentiableMethod> methods = parsed
            .Select(TakeModel)
            .Where(IsNotNull)
            .Select(NotNull)
            .WithTrackingName(TrackingNames.Ir);
        // What the compilation offers for vector loops: a value, so a change of references or language version re-emits, nothing else
        IncrementalValueProvider<VectorSupport> vectors = context.CompilationProvider
            .Select(DetectVectorSupport)
            .WithTrackingName(TrackingNames.VectorSupport);
        context.RegisterSourceOutput(vectors, AddLaneTypes);
        context.RegisterSourceOutput(methods.Combine(vectors), EmitDerivatives);

        // 3. Diagnostics: real SourceLocations so #pragma works (dotnet/runtime#92509)
        context.RegisterSourceOutput(parsed.Select(TakeDiagnostics).WithTrackingName(TrackingNames.Diagnostics), ReportDiagnostics);

        // 4. Models: [Model] classes -> gradient type, parameters, fused step; their [Differentiable] methods -> tape, record, backward
        IncrementalValuesProvider<ModelClass?> models = context.SyntaxProvider
            .ForAttributeWithMetadataName(WellKnownNames.ModelAttribute, IsClassDeclaration, ModelParser.Parse)
            .WithTrackingName(TrackingNames.ModelClass);
        context.RegisterSourceOutput(models, ModelOutputs.EmitModel);
        IncrementalValuesProvider<TensorParseResult> modelMethods = context.SyntaxProvider
            .ForAttributeWithMetadataName(WellKnownNames.DifferentiableAttribute, IsMethodDeclaration, TensorMethodParser.Parse)
            .WithTrackingName(TrackingNames.ModelMethod);
        context.RegisterSourceOutput(modelMethods.Select(ModelOutputs.TakeModel).WithTrackingName(TrackingNames.ModelMethodIr), ModelOutputs.EmitMethod);
        context.RegisterSourceOutput(modelMethods.Select(ModelOutputs.TakeDiagnostics), ReportDiagnostics);
    }

    private static void AddSupportTypes(IncrementalGeneratorPostInitializationContext context)
        => context.AddSource(SupportTypes.HintName, SourceText.From(SupportTypes.Source, System.Text.Encoding.UTF8));

    private static VectorSupport DetectVectorSupport(Compilation compilation, CancellationToken cancellationToken)
    {
        INamedTypeSymbol? vector512 = compilation.GetTypeByMetadataName("System.Runtime.Intrinsics.Vector512");
        bool lanes = vector512 is not null && compilation is Microsoft.CodeAnalysis.CSharp.CSharpCompilation { LanguageVersion: >= Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp11 }
            && compilation.GetTypeByMetadataName("System.Runtime.InteropServices.MemoryMarshal") is not null;
        // A referenced assembly whose internals this one sees (InternalsVisibleTo) may carry the lane types already:
        // use those rather than add a second copy (CS0436 on every use).
        INamedTypeSymbol? referenced = compilation.GetTypeByMetadataName("Autodiff.Generated.IAutodiffLanes`2");
        // (only when they have every member this version calls; else a copy of our own, warnings and all).
        bool net9 = lanes && !vector512!.GetMembers("Exp").IsEmpty && !vector512.GetMembers("FusedMultiplyAdd").IsEmpty;
        bool inherited = referenced is not null && compilation.IsSymbolAccessibleWithin(referenced, compilation.Assembly)
            && !referenced.GetMembers("ShiftIn").IsEmpty && (!net9 || !referenced.GetMembers("Exp").IsEmpty);
        bool skipLocalsInit = compilation.Options is Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions { AllowUnsafe: true }
            && compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.SkipLocalsInitAttribute") is not null;
        return new VectorSupport(lanes, net9, inherited, skipLocalsInit);
    }

    private static void AddLaneTypes(SourceProductionContext context, VectorSupport support)
    {
        if (support.Lanes && !support.Referenced)
        {
            context.AddSource(LaneTypes.HintName, SourceText.From(LaneTypes.Source(support), System.Text.Encoding.UTF8));
        }
    }

    private static bool IsClassDeclaration(SyntaxNode node, CancellationToken cancellationToken) => node is ClassDeclarationSyntax;

    private static bool IsMethodDeclaration(SyntaxNode node, CancellationToken cancellationToken) => node is MethodDeclarationSyntax;

    private static DifferentiableMethod? TakeModel(ParseResult result, CancellationToken cancellationToken) => result.Model;

    private static bool IsNotNull(DifferentiableMethod? method) => method is not null;

    private static DifferentiableMethod NotNull(DifferentiableMethod? method, CancellationToken cancellationToken) => method!;

    private static ImmutableArray<Diagnostic> TakeDiagnostics(ParseResult result, CancellationToken cancellationToken) => result.Diagnostics;

    private static void EmitDerivatives(SourceProductionContext context, (DifferentiableMethod Method, VectorSupport Vectors) input)
    {
        DifferentiableMethod method = input.Method;
        string source;
        try
        {
            source = DerivativeEmitter.Emit(method, input.Vectors);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Never throw from a generator (CS8785 hides all output): report, and emit stubs so callers compile.
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, method.Name, exception.GetType().Name + ": " + exception.Message));
            try
            {
                source = DerivativeEmitter.Emit(method with { IsStub = true, Body = Helpers.EquatableArray<Stmt>.Empty }, VectorSupport.None);
            }
            catch (Exception stubException) when (stubException is not OperationCanceledException)
            {
                return;
            }
        }

        context.AddSource(method.HintName, SourceText.From(source, System.Text.Encoding.UTF8));
    }

    private static void ReportDiagnostics(SourceProductionContext context, ImmutableArray<Diagnostic> diagnostics)
    {
        foreach (Diagnostic diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic);
        }
    }
}
