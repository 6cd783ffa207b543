using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Autodiff.Generator.Diagnostics;

/// <summary>
/// Cheap declaration checks on <c>[Differentiable]</c> methods (AD00xx), live in the editor. Body
/// diagnostics (AD01xx-AD03xx) come from the generator's parse step.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DifferentiableAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.MethodNotStatic,
        DiagnosticDescriptors.TypeNotPartial,
        DiagnosticDescriptors.UnsupportedReturnType,
        DiagnosticDescriptors.UnsupportedParameter,
        DiagnosticDescriptors.UnsupportedMethodShape,
        DiagnosticDescriptors.BadModelType,
        DiagnosticDescriptors.NameClash);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(AnalyzeMethod, SymbolKind.Method);
        context.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
    }

    private static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!Helpers.TypeClassifier.HasAttribute(type, WellKnownNames.ModelAttribute))
        {
            return;
        }

        foreach (Diagnostic diagnostic in ModelRules.Check(type))
        {
            context.ReportDiagnostic(diagnostic);
        }
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (!Helpers.TypeClassifier.HasAttribute(method, WellKnownNames.DifferentiableAttribute))
        {
            return;
        }

        foreach (Diagnostic diagnostic in SignatureRules.Check(method))
        {
            context.ReportDiagnostic(diagnostic);
        }
    }
}
