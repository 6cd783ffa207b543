using System.Collections.Generic;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Diagnostics;

/// <summary>Declaration checks for <c>[Model]</c> classes and their <c>[Differentiable]</c> methods (shared by analyzer and generator).</summary>
internal static class ModelRules
{
    /// <summary>Problems of a <c>[Model]</c> class declaration.</summary>
    public static List<Diagnostic> Check(INamedTypeSymbol type)
    {
        var problems = new List<Diagnostic>();
        Location location = type.Locations.Length > 0 ? type.Locations[0] : Location.None;
        if (type.TypeKind != TypeKind.Class || type.IsStatic || type.IsGenericType || type.IsRecord)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.BadModelType, location, type.Name, "a non-generic, non-static class (not a struct or record)"));
        }

        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (!SymbolText.IsPartial(t))
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.TypeNotPartial, location, t.Name, type.Name));
            }

            if (!SymbolEqualityComparer.Default.Equals(t, type) && t.IsGenericType)
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.BadModelType, location, type.Name, "declared outside generic types"));
            }
        }

        return problems;
    }

    /// <summary>Problems of a <c>[Differentiable]</c> method of a <c>[Model]</c> class.</summary>
    public static List<Diagnostic> CheckMethod(IMethodSymbol method)
    {
        var problems = new List<Diagnostic>();
        Location location = method.Locations.Length > 0 ? method.Locations[0] : Location.None;
        if (method.IsStatic)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, method.Name, "static in a [Model] class (model methods are instance methods; move static helpers to another type)"));
        }

        if (method.IsGenericMethod || method.IsAsync || method.MethodKind != MethodKind.Ordinary || method.IsAbstract || method.IsExtern)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, method.Name, "generic, async, abstract, extern or not an ordinary method"));
        }

        bool floatReturn = method.ReturnType.SpecialType == SpecialType.System_Single;
        if (!floatReturn && !ModelParser.IsTensor(method.ReturnType) || method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedReturnType, location, method.Name, method.ReturnType.ToDisplayString()));
        }

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None || parameter.Type.IsRefLikeType)
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedParameter, parameter.Locations.Length > 0 ? parameter.Locations[0] : location,
                    parameter.Name, parameter.Type.ToDisplayString(), "model methods take their parameters by value, and no spans (the tape keeps them for the backward pass)"));
            }
        }

        return problems;
    }

    public static bool IsModelMethod(IMethodSymbol method)
        => method.ContainingType is { } type && TypeClassifier.HasAttribute(type, WellKnownNames.ModelAttribute);
}
