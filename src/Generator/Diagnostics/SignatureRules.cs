using System.Collections.Generic;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Autodiff.Generator.Diagnostics;

/// <summary>
/// The declaration checks (AD00xx) shared by the analyzer, which reports them, and the generator, which
/// skips methods that fail them and stays quiet.
/// </summary>
internal static class SignatureRules
{
    /// <summary>Returns the declaration problems of a <c>[Differentiable]</c> method (empty when it is fine).</summary>
    public static List<Diagnostic> Check(IMethodSymbol method)
    {
        if (ModelRules.IsTensorCode(method))
        {
            return ModelRules.CheckMethod(method);
        }

        var problems = new List<Diagnostic>();
        Location location = method.Locations.Length > 0 ? method.Locations[0] : Location.None;
        string name = method.Name;

        if (!method.IsStatic)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.MethodNotStatic, location, name));
        }

        if (method.IsGenericMethod)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, name, "generic"));
        }

        if (method.IsAsync)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, name, "async"));
        }

        if (method.IsAbstract || method.IsExtern || method.IsPartialDefinition && method.PartialImplementationPart is null && !HasBody(method))
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, name, "without a body"));
        }

        if (method.MethodKind != MethodKind.Ordinary)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, name, "a " + method.MethodKind.ToString().ToLowerInvariant()));
        }

        var outputs = new List<IParameterSymbol>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (TypeClassifier.HasAttribute(parameter, WellKnownNames.OutputAttribute))
            {
                outputs.Add(parameter);
            }
        }

        bool returnsValue = TypeClassifier.ReturnsArray(method) || StructShape.Of(method.ReturnType) is not null;
        if ((method.ReturnsVoid || returnsValue) && outputs.Count == 0)
        {
            // A helper that fills span or array arguments, or returns an array: differentiated through its body where
            // it is called.
        }
        else if (method.ReturnsVoid && outputs.Count == 1)
        {
            // A vector-valued method: its results go to the one [Output] span.
            IParameterSymbol output = outputs[0];
            if (!TypeClassifier.TryClassify(output.Type, out ScalarKind outputKind, out ShapeKind outputShape) || !TypeClassifier.IsFloating(outputKind)
                || outputShape is not (ShapeKind.Span or ShapeKind.Array) || TypeClassifier.HasAttribute(output, WellKnownNames.NoDerivativeAttribute))
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedParameter, output.Locations.Length > 0 ? output.Locations[0] : location, output.Name,
                    output.Type.ToDisplayString(), "an [Output] parameter must be a Span<double> or Span<float> (or an array of them) without [NoDerivative]"));
            }

            if (TypeClassifier.SetsNamedArgument(method, WellKnownNames.DifferentiableAttribute, "SecondOrder"))
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, name, "vector-valued with SecondOrder = true (second derivatives are for methods that return a double or float)"));
            }
        }
        else if (!TypeClassifier.TryScalar(method.ReturnType, out ScalarKind ret) || !TypeClassifier.IsFloating(ret) || method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedReturnType, location, name, method.ReturnType.ToDisplayString()));
        }
        else
        {
            foreach (IParameterSymbol output in outputs)
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedParameter, output.Locations.Length > 0 ? output.Locations[0] : location, output.Name,
                    output.Type.ToDisplayString(), "[Output] marks the results of a method that returns void; this one returns its result"));
            }
        }

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            Location parameterLocation = parameter.Locations.Length > 0 ? parameter.Locations[0] : location;
            bool helper = (method.ReturnsVoid || returnsValue) && outputs.Count == 0;
            if (parameter.RefKind == RefKind.Out && helper && TypeClassifier.TryClassify(parameter.Type, out _, out ShapeKind outShape) && outShape == ShapeKind.Scalar)
            {
                // A void helper's out parameter: inlined, it writes the caller's variable.
            }
            else if (parameter.RefKind != RefKind.None)
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedParameter, parameterLocation, parameter.Name, parameter.Type.ToDisplayString(),
                    helper
                        ? "ref and in parameters are not supported; pass values, and write results to out parameters or to an array or span"
                        : "ref, out and in parameters are not supported; pass values and return the result (a void helper may have out parameters)"));
            }
            else if (StructShape.ArrayOf(parameter.Type) is not null)
            {
                // An array or span of structs of one kind: a flat array of that kind in the IR, viewed in place.
            }
            else if (StructShape.Of(parameter.Type) is { } shape)
            {
                // A struct of reals: one parameter per field in the IR; the public derivatives take and give the struct.
                if (!helper && shape.InaccessibleMember() is { } member)
                {
                    problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedParameter, parameterLocation, parameter.Name, SymbolText.TypeName(parameter.Type),
                        "the derivatives take and give '" + shape.Type.Name + "', read member by member and built with 'with { ... }', so its member '" + member
                        + "' must be public (or internal) and settable: make it a field, or a property with a set or init accessor"));
                }
            }
            else if (TypeClassifier.TryMatrix(parameter.Type, out _) || TypeClassifier.TryJagged(parameter.Type, out _, out _))
            {
                // T[,], T[][], T[][,]: their elements in order in the IR; the public derivatives take and give those shapes
                // (the second derivatives too).
            }
            else if (!TypeClassifier.TryClassify(parameter.Type, out _, out _))
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedParameter, parameterLocation, parameter.Name, SymbolText.TypeName(parameter.Type),
                    SymbolText.Instead(parameter.Type)));
            }
        }

        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedMethodShape, location, name, "declared in the generic type '" + type.Name + "'"));
            }

            if (!SymbolText.IsPartial(type))
            {
                problems.Add(Diagnostic.Create(DiagnosticDescriptors.TypeNotPartial, location, type.Name, "[Differentiable] method '" + name + "'"));
            }
        }

        AddClashes(problems, method, model: false);
        return problems;
    }

    /// <summary>AD0007 for each member of the user's that has the name of a member generated for <paramref name="method"/>.</summary>
    public static void AddClashes(List<Diagnostic> problems, IMethodSymbol method, bool model)
    {
        foreach ((ISymbol member, string generated) in GeneratedNames.Clashes(method, model))
        {
            Location at = member.Locations.Length > 0 && member.Locations[0].IsInSource ? member.Locations[0] : (method.Locations.Length > 0 ? method.Locations[0] : Location.None);
            problems.Add(Diagnostic.Create(DiagnosticDescriptors.NameClash, at, member.Name, "the '" + generated + "' that the generator adds for [Differentiable] method '" + method.Name + "'"));
        }
    }

    /// <summary>
    /// Whether the generator writes derivatives for this <c>[Differentiable]</c> method: its declaration parses, has no
    /// AD00xx problem, and for a model method its <c>[Model]</c> class has none either. A method of another assembly
    /// got its derivatives there.
    /// </summary>
    public static bool IsGenerated(IMethodSymbol method)
        => method.DeclaringSyntaxReferences.Length == 0
            || (!IsInvalid(method) && Check(method).Count == 0 && (!ModelRules.IsModelMethod(method) || ModelRules.IsGenerated(method.ContainingType)));

    /// <summary>
    /// A declaration the compiler rejects on its own (a parameter name used twice, as while typing): the generator
    /// leaves it to the compiler's error and generates nothing.
    /// </summary>
    public static bool IsInvalid(IMethodSymbol method)
    {
        var names = new HashSet<string>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (!names.Add(parameter.Name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasBody(IMethodSymbol method)
    {
        foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is MethodDeclarationSyntax { Body: not null } or MethodDeclarationSyntax { ExpressionBody: not null })
            {
                return true;
            }
        }

        return false;
    }
}
