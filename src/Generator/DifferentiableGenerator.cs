using System;
using System.Collections.Immutable;
using System.Threading;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Model;
using Autodiff.Generator.Model.Tensors;
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
            .WithTrackingName(TrackingNames.Model);
        context.RegisterSourceOutput(methods, EmitDerivatives);

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
        context.RegisterSourceOutput(modelMethods.Select(ModelOutputs.TakeModel).WithTrackingName(TrackingNames.ModelMethodModel), ModelOutputs.EmitMethod);
        context.RegisterSourceOutput(modelMethods.Select(ModelOutputs.TakeDiagnostics), ReportDiagnostics);
    }

    private static void AddSupportTypes(IncrementalGeneratorPostInitializationContext context)
        => context.AddSource(SupportTypes.HintName, SourceText.From(SupportTypes.Source, System.Text.Encoding.UTF8));

    private static bool IsClassDeclaration(SyntaxNode node, CancellationToken cancellationToken) => node is ClassDeclarationSyntax;

    private static bool IsMethodDeclaration(SyntaxNode node, CancellationToken cancellationToken) => node is MethodDeclarationSyntax;

    private static DifferentiableMethod? TakeModel(ParseResult result, CancellationToken cancellationToken) => result.Model;

    private static bool IsNotNull(DifferentiableMethod? method) => method is not null;

    private static DifferentiableMethod NotNull(DifferentiableMethod? method, CancellationToken cancellationToken) => method!;

    private static ImmutableArray<Diagnostic> TakeDiagnostics(ParseResult result, CancellationToken cancellationToken) => result.Diagnostics;

    private static void EmitDerivatives(SourceProductionContext context, DifferentiableMethod method)
    {
        string source;
        try
        {
            source = DerivativeEmitter.Emit(method);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Never throw from a generator (CS8785 hides all output): report, and emit stubs so callers compile.
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, method.Name, exception.GetType().Name + ": " + exception.Message));
            source = DerivativeEmitter.Emit(method with { IsStub = true, Body = Helpers.EquatableArray<Stmt>.Empty });
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
