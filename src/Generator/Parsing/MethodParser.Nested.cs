using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

internal sealed partial class MethodParser
{
    // What the generator appends to a [Differentiable] method's name, longest first.
    private static readonly string[] GeneratedSuffixes = { "DirectionalVjp", "Directional", "Gradient", "Jacobian", "Hessian", "Vjp", "Jvp", "Hvp" };

    /// <summary>
    /// AD0115 for a call of a generated derivative (<c>FGradient</c>, <c>FJvp(...).Tangent</c>...). In the generator's own
    /// view of the compilation such a method does not exist yet, so the call is an invalid operation; it is recognised by
    /// its name, a <c>[Differentiable]</c> method's plus a generated suffix. Returns whether it reported.
    /// </summary>
    private bool ReportNestedDerivative(IOperation operation)
    {
        if (operation is not (IInvalidOperation or IInvocationOperation or IFieldReferenceOperation or IPropertyReferenceOperation) || operation.Syntax is not ExpressionSyntax syntax)
        {
            return false;
        }

        InvocationExpressionSyntax? invocation = syntax as InvocationExpressionSyntax ?? (syntax as MemberAccessExpressionSyntax)?.Expression as InvocationExpressionSyntax;
        if (invocation is null)
        {
            return false;
        }

        (string? name, INamespaceOrTypeSymbol? container) = invocation.Expression switch
        {
            IdentifierNameSyntax identifier => (identifier.Identifier.Text, (INamespaceOrTypeSymbol?)null),
            MemberAccessExpressionSyntax access => (access.Name.Identifier.Text, _semanticModel.GetSymbolInfo(access.Expression, _cancellationToken).Symbol as INamespaceOrTypeSymbol),
            _ => (null, null),
        };
        if (name is null)
        {
            return false;
        }

        foreach (string suffix in GeneratedSuffixes)
        {
            if (name.Length <= suffix.Length || !name.EndsWith(suffix, System.StringComparison.Ordinal))
            {
                continue;
            }

            string primal = name.Substring(0, name.Length - suffix.Length);
            bool differentiable = _semanticModel.LookupSymbols(invocation.SpanStart, container, primal).OfType<IMethodSymbol>()
                .Any(m => TypeClassifier.HasAttribute(m, WellKnownNames.DifferentiableAttribute));
            if (differentiable)
            {
                Report(DiagnosticDescriptors.NestedDerivative, invocation.GetLocation(), _method.Name, name,
                    "differentiating generated derivatives (nested differentiation) is not supported yet: move the call out of the differentiated method, or write the derivative you need as a [Differentiable] helper");

                // Locals the call declares (out double d) are part of this error, not errors of their own where they are read.
                foreach (SingleVariableDesignationSyntax designation in invocation.ArgumentList.DescendantNodes().OfType<SingleVariableDesignationSyntax>())
                {
                    if (_semanticModel.GetDeclaredSymbol(designation, _cancellationToken) is ILocalSymbol declared)
                    {
                        _reported.Add(declared);
                    }
                }

                return true;
            }
        }

        return false;
    }
}
