using System.Threading;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Autodiff.Generator;

/// <summary>
/// Writes <c>{Name}Gradient</c>, <c>{Name}Vjp</c> and <c>{Name}Jvp</c> for every static <c>[Differentiable]</c>
/// method over scalars and arrays, and reports the body diagnostics of static tensor functions (which model
/// methods inline). Instance methods of <c>[Model]</c> classes are <see cref="ModelGenerator"/>'s.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class DifferentiableGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 0. The tape and span helpers that generated code uses, once per compilation
        context.RegisterPostInitializationOutput(AddSupportTypes);

        // 1. Every static [Differentiable] method -> equatable IR + diagnostics (no symbols past this point)
        IncrementalValuesProvider<ParseResult<DifferentiableMethod>> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(WellKnownNames.DifferentiableAttribute, IsStaticMethod, Parse)
            .WithTrackingName(TrackingNames.Parse);

        // 2. Source: only the IR flows on, so an equal IR means no re-emit
        IncrementalValuesProvider<DifferentiableMethod> methods = parsed
            .Select(TakeIr)
            .Where(IsNotNull)
            .Select(NotNull)
            .WithTrackingName(TrackingNames.Ir);
        // What the compilation offers for vector loops: a value, so a change of references or language version re-emits, nothing else
        IncrementalValueProvider<VectorSupport> vectors = context.CompilationProvider
            .Select(VectorSupportDetection.Detect)
            .WithTrackingName(TrackingNames.VectorSupport);
        context.RegisterSourceOutput(vectors, AddLaneTypes);
        context.RegisterSourceOutput(methods.Combine(vectors), EmitDerivatives);

        // 3. Diagnostics, located in their syntax trees so that #pragma works on them
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(SourceOutput.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, SourceOutput.Report);
    }

    // Scalar methods and tensor functions are static; model methods are not (the analyzer reports a static one).
    private static bool IsStaticMethod(SyntaxNode node, CancellationToken cancellationToken)
        => node is MethodDeclarationSyntax method && method.Modifiers.Any(SyntaxKind.StaticKeyword);

    private static ParseResult<DifferentiableMethod> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        => context.TargetSymbol is IMethodSymbol method && ModelRules.IsTensorFunction(method)
            ? new ParseResult<DifferentiableMethod>(null, TensorMethodParser.Parse(context, cancellationToken).Diagnostics)
            : MethodParser.Parse(context, cancellationToken);

    private static void AddSupportTypes(IncrementalGeneratorPostInitializationContext context)
        => context.AddSource(SupportTypes.HintName, SourceText.From(SupportTypes.Source, System.Text.Encoding.UTF8));

    private static void AddLaneTypes(SourceProductionContext context, VectorSupport support)
    {
        if (support.Lanes && !support.Referenced)
        {
            SourceOutput.Add(context, LaneTypes.HintName, LaneTypes.HintName, () => LaneTypes.Source(support), null);
        }
    }

    private static DifferentiableMethod? TakeIr(ParseResult<DifferentiableMethod> result, CancellationToken cancellationToken) => result.Value;

    private static bool IsNotNull(DifferentiableMethod? method) => method is not null;

    private static DifferentiableMethod NotNull(DifferentiableMethod? method, CancellationToken cancellationToken) => method!;

    private static void EmitDerivatives(SourceProductionContext context, (DifferentiableMethod Method, VectorSupport Vectors) input)
        => SourceOutput.Add(
            context, input.Method.HintName, input.Method.Name,
            () => DerivativeEmitter.Emit(input.Method, input.Vectors),
            () => DerivativeEmitter.Emit(input.Method with { IsStub = true, Body = EquatableArray<Stmt>.Empty }, VectorSupport.None));
}
