using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

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
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.TypeNotPartial, location, t.Name, SymbolEqualityComparer.Default.Equals(t, type) ? "the generated members of the [Model] class" : "[Model] class '" + type.Name + "'"));
            }

            if (!SymbolEqualityComparer.Default.Equals(t, type) && t.IsGenericType)
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.BadModelType, location, type.Name, "declared outside generic types"));
            }
        }

        return problems;
    }

    /// <summary>Whether a <c>[Model]</c> class gets its Gradient, parameters and step (one of another assembly got them there).</summary>
    public static bool IsGenerated(INamedTypeSymbol type) => type.DeclaringSyntaxReferences.Length == 0 || Check(type).Count == 0;

    /// <summary>Problems of a <c>[Differentiable]</c> method of a <c>[Model]</c> class, or of a tensor function.</summary>
    public static List<Diagnostic> CheckMethod(IMethodSymbol method)
    {
        var problems = new List<Diagnostic>();
        Location location = method.Locations.Length > 0 ? method.Locations[0] : Location.None;
        if (method.IsStatic && !HasBody(method))
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, method.Name, "without a body (a tensor function is inlined where it is called, so it needs one)"));
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
                    parameter.Name, parameter.Type.ToDisplayString(), "model methods and tensor functions take their parameters by value, and no spans (the tape keeps them for the backward pass)"));
            }
        }

        if (IsModelMethod(method))
        {
            // Generated model methods name their own parameters; a parameter of the user's by one of those names would be CS0100 in them.
            var tensors = method.Parameters.Where(p => ModelParser.IsTensor(p.Type)).Select(p => p.Name).ToList();
            foreach (IParameterSymbol parameter in method.Parameters)
            {
                bool adjoint = tensors.Any(t => parameter.Name == "d" + t);
                if (System.Array.IndexOf(GeneratedNames.ModelReserved, parameter.Name) >= 0 || adjoint)
                {
                    problems.Add(Diagnostic.Create(DiagnosticDescriptors.NameClash, parameter.Locations.Length > 0 ? parameter.Locations[0] : location, parameter.Name,
                        "a parameter of the methods the generator adds for model method '" + method.Name + "'" + (adjoint ? " (the adjoint of a tensor parameter)" : string.Empty)));
                }
            }

            SignatureRules.AddClashes(problems, method, model: true);
        }

        return problems;
    }

    /// <summary>An instance method of a <c>[Model]</c> class.</summary>
    public static bool IsModelMethod(IMethodSymbol method)
        => !method.IsStatic && method.ContainingType is { } type && TypeClassifier.HasAttribute(type, WellKnownNames.ModelAttribute);

    /// <summary>
    /// A static method with a <c>Tensor</c> parameter or result (in any class): a tensor function, inlined into the
    /// model methods that call it. It gets no generated methods of its own.
    /// </summary>
    public static bool IsTensorFunction(IMethodSymbol method)
        => method.IsStatic && (ModelParser.IsTensor(method.ReturnType) || method.Parameters.Any(p => ModelParser.IsTensor(p.Type)));

    /// <summary>Model methods and tensor functions: code the tensor parser handles, the scalar one skips.</summary>
    public static bool IsTensorCode(IMethodSymbol method) => IsModelMethod(method) || IsTensorFunction(method);

    private static bool HasBody(IMethodSymbol method)
        => method.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is MethodDeclarationSyntax { Body: not null } or MethodDeclarationSyntax { ExpressionBody: not null });
}
