using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Parsing;

/// <summary>One registered derivative: <c>[CustomDerivative]</c> on the function or <c>[assembly: RegisterDerivative]</c>.</summary>
internal readonly record struct Registration(INamedTypeSymbol Derivatives, string Vjp, string? Jvp, string? Into, string? VjpTangent);

/// <summary>Finds the registered derivatives of a function; scalar and model parsers share it.</summary>
internal static class Registrations
{
    /// <summary>The function's own <c>[CustomDerivative]</c> first, then assembly registrations in this compilation and every referenced assembly.</summary>
    public static IEnumerable<Registration> Find(Compilation compilation, IMethodSymbol target)
    {
        foreach (AttributeData attribute in target.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == WellKnownNames.CustomDerivativeAttribute
                && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string vjp)
            {
                yield return new Registration(target.ContainingType, vjp, NamedString(attribute, "Jvp"), NamedString(attribute, "Into"), NamedString(attribute, "VjpTangent"));
            }
        }

        foreach (IAssemblySymbol assembly in new[] { compilation.Assembly }.Concat(compilation.SourceModule.ReferencedAssemblySymbols))
        {
            foreach (AttributeData attribute in assembly.GetAttributes())
            {
                ImmutableArray<TypedConstant> args = attribute.ConstructorArguments;
                if (attribute.AttributeClass?.ToDisplayString() == WellKnownNames.RegisterDerivativeAttribute
                    && args.Length == 4 && args[0].Value is INamedTypeSymbol registered && args[1].Value is string method
                    && args[2].Value is INamedTypeSymbol derivatives && args[3].Value is string vjp
                    && method == target.Name
                    && SymbolEqualityComparer.Default.Equals(registered.OriginalDefinition, target.ContainingType.OriginalDefinition))
                {
                    yield return new Registration(derivatives, vjp, NamedString(attribute, "Jvp"), NamedString(attribute, "Into"), NamedString(attribute, "VjpTangent"));
                }
            }
        }
    }

    private static string? NamedString(AttributeData attribute, string name)
        => attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value as string;
}
