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
        DiagnosticDescriptors.UnsupportedMethodShape);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(AnalyzeMethod, SymbolKind.Method);
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
