using System.Threading;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Autodiff.Generator;

/// <summary>
/// For every <c>[Model]</c> class: its gradient type, parameter list and fused optimizer step; for every
/// <c>[Differentiable]</c> instance method of one: the tape, the recording forward pass and the backward pass.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. [Model] classes -> gradient type, parameters, fused step (declaration problems are the analyzer's)
        IncrementalValuesProvider<ModelClass?> models = context.SyntaxProvider
            .ForAttributeWithMetadataName(WellKnownNames.ModelAttribute, IsClassDeclaration, ModelParser.Parse)
            .WithTrackingName(TrackingNames.ModelClass);
        context.RegisterSourceOutput(models, EmitModel);

        // 2. Their [Differentiable] methods -> equatable tensor IR + diagnostics -> tape, record, backward
        IncrementalValuesProvider<ParseResult<TensorMethod>> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(WellKnownNames.DifferentiableAttribute, IsInstanceMethod, TensorMethodParser.Parse)
            .WithTrackingName(TrackingNames.ModelMethod);
        context.RegisterSourceOutput(parsed.Select(TakeIr).WithTrackingName(TrackingNames.ModelMethodIr), EmitMethod);

        // 3. Diagnostics, located in their syntax trees so that #pragma works on them
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(SourceOutput.Diagnostics)
            .WithTrackingName(TrackingNames.ModelMethodDiagnostics);
        context.RegisterSourceOutput(diagnostics, SourceOutput.Report);
    }

    private static bool IsClassDeclaration(SyntaxNode node, CancellationToken cancellationToken) => node is ClassDeclarationSyntax;

    // Static [Differentiable] methods (scalar methods, tensor functions) are DifferentiableGenerator's.
    private static bool IsInstanceMethod(SyntaxNode node, CancellationToken cancellationToken)
        => node is MethodDeclarationSyntax method && !method.Modifiers.Any(SyntaxKind.StaticKeyword);

    private static TensorMethod? TakeIr(ParseResult<TensorMethod> result, CancellationToken cancellationToken) => result.Value;

    private static void EmitModel(SourceProductionContext context, ModelClass? model)
    {
        if (model is not null)
        {
            SourceOutput.Add(context, model.HintName, model.Name, () => ModelEmitter.Emit(model), null);
        }
    }

    private static void EmitMethod(SourceProductionContext context, TensorMethod? method)
    {
        if (method is not null)
        {
            SourceOutput.Add(context, method.HintName, method.Name, () => TensorMethodEmitter.Emit(method), () => TensorMethodEmitter.Emit(method with { IsStub = true }));
        }
    }
}
