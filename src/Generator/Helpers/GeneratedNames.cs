using System;
using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Helpers;

/// <summary>
/// The names the generator adds beside a <c>[Differentiable]</c> method, in one place: hint names, the model tape's
/// type name, the parameter names generated model methods use, and the check that no member of the user's
/// already has one of them (CS0102 / CS0111 inside a generated file would otherwise be the user's only clue).
/// </summary>
internal static class GeneratedNames
{
    /// <summary>The names generated model methods give their own parameters and locals.</summary>
    public static readonly string[] ModelReserved = { "gradient", "tape", "tangent", "dResult", "tdResult", "hv", "value" };

    /// <summary>FNV-1a over the text: stable across runs and processes, unlike string.GetHashCode.</summary>
    public static string StableHash(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = unchecked((hash ^ c) * 16777619);
        }

        return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The parameter types of a method as one string: overloads differ in it.</summary>
    public static string Signature(IMethodSymbol method) => string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString()));

    /// <summary>A unique, stable hint name: the containers, the method, and a hash of its parameter types (overloads differ).</summary>
    public static string HintName(string ns, EquatableArray<ContainingType> types, IMethodSymbol method, string suffix)
    {
        string hint = string.Join(".", types.Select(t => t.Name)) + "." + method.Name + "." + StableHash(Signature(method)) + "." + suffix;
        return ns.Length > 0 ? ns + "." + hint : hint;
    }

    /// <summary>
    /// The tape class of a model method: <c>{Name}Tape</c>, and <c>{Name}Tape_{hash}</c> when the type has more than
    /// one <c>[Differentiable]</c> method of that name (each overload needs a tape class of its own).
    /// </summary>
    public static string TapeType(IMethodSymbol method)
    {
        int overloads = method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>()
            .Count(m => TypeClassifier.HasAttribute(m, WellKnownNames.DifferentiableAttribute));
        return overloads > 1 ? method.Name + "Tape_" + StableHash(Signature(method)) : method.Name + "Tape";
    }

    /// <summary>Whether the generator wrote this member (it carries [GeneratedCode("Autodiff.Generator", ...)]).</summary>
    public static bool IsGenerated(ISymbol symbol)
    {
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.Name == "GeneratedCodeAttribute" && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value as string == "Autodiff.Generator")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Members of the user's that carry a name the generator adds for <paramref name="method"/>: (the member, the
    /// generated name). A method of that name clashes when it has the generated one's parameter types (CS0111);
    /// anything else of that name always does (CS0102).
    /// </summary>
    public static IEnumerable<(ISymbol Member, string Generated)> Clashes(IMethodSymbol method, bool model)
    {
        INamedTypeSymbol type = method.ContainingType;
        foreach ((string name, Func<IMethodSymbol, bool>? sameSignature) in Generated(method, model))
        {
            foreach (ISymbol member in type.GetMembers(name))
            {
                if (member.IsImplicitlyDeclared || IsGenerated(member))
                {
                    continue;
                }

                if (member is not IMethodSymbol other || sameSignature is null || sameSignature(other))
                {
                    yield return (member, name);
                }
            }
        }
    }

    private static IEnumerable<(string Name, Func<IMethodSymbol, bool>? SameSignature)> Generated(IMethodSymbol method, bool model)
    {
        string name = method.Name;
        if (model)
        {
            // Model methods: the tape class and its cache field, and methods whose first parameters are the tape's or the method's.
            string tape = TapeType(method);
            yield return (tape, null);
            yield return ("__" + tape, null);
            // Extra parameters: (before the method's own, after them); "inputs" is one per differentiable tensor parameter.
            int inputs = method.Parameters.Count(p => p.Type.Name == "Tensor" && !TypeClassifier.HasAttribute(p, WellKnownNames.NoDerivativeAttribute));
            yield return (name + "Gradient", other => HasParametersOf(other, method, 0, 1));
            yield return (name + "Hvp", other => HasParametersOf(other, method, 0, 3));
            yield return (name + "Record", other => HasParametersOf(other, method, 1, 0));
            yield return (name + "Backward", other => HasParametersOf(other, method, 1, 2 + inputs));
            yield return (name + "Tangent", other => HasParametersOf(other, method, 1, 1 + inputs));
            yield return (name + "BackwardTangent", other => HasParametersOf(other, method, 1, 5 + 3 * inputs));
            yield return (name + "Jvp", other => HasParametersOf(other, method, 0, 1 + inputs));

            yield break;
        }

        if (TypeClassifier.IsVectorResult(method))
        {
            // A method returning a T[]: FVjp, FJvp, FJacobian, like a vector-valued one.
            yield return (name + "Vjp", null);
            yield return (name + "Jvp", null);
            yield return (name + "Jacobian", null);
            yield break;
        }

        if ((method.ReturnsVoid || TypeClassifier.ReturnsArray(method) || StructShape.Of(method.ReturnType) is not null) && !method.Parameters.Any(p => TypeClassifier.HasAttribute(p, WellKnownNames.OutputAttribute)))
        {
            // A helper (void, or returning an array or a struct): nothing is generated for it.
            yield break;
        }

        if (method.ReturnsVoid)
        {
            // Vector-valued methods: FVjp, FJvp, FJacobian.
            yield return (name + "Vjp", null);
            yield return (name + "Jvp", null);
            yield return (name + "Jacobian", null);
            yield break;
        }

        // Scalar methods: FGradient(params, adjoints), FVjp(params, seed, adjoints), FJvp(params, tangents).
        var parameters = method.Parameters.Select(Classify).ToList();
        TypeClassifier.TryScalar(method.ReturnType, out ScalarKind returnKind);
        yield return (name + "Gradient", other => Same(other, VjpParameters(parameters, seed: null)));
        yield return (name + "Vjp", other => Same(other, VjpParameters(parameters, returnKind)));
        yield return (name + "Jvp", other => Same(other, JvpParameters(parameters)));
        if (TypeClassifier.SetsNamedArgument(method, WellKnownNames.DifferentiableAttribute, "SecondOrder"))
        {
            // Second derivatives: any member of these names would make an ambiguous or clashing overload.
            yield return (name + "Directional", null);
            yield return (name + "DirectionalVjp", null);
            yield return (name + "Hvp", null);
            yield return (name + "Hessian", null);
        }
    }

    /// <summary>
    /// The parameters of a VJP: the function's, the seed (none for the gradient), then per differentiable parameter
    /// an <c>out T</c> for a scalar or a <c>Span&lt;T&gt;</c> for an array or span. What the generator writes, and what a
    /// registered custom VJP must declare.
    /// </summary>
    public static List<(ScalarKind Kind, ShapeKind Shape, RefKind Ref)> VjpParameters(IReadOnlyList<CalleeParam> parameters, ScalarKind? seed)
    {
        var list = parameters.Select(p => (p.Kind, p.Shape, RefKind.None)).ToList();
        if (seed is { } kind)
        {
            list.Add((kind, ShapeKind.Scalar, RefKind.None));
        }

        list.AddRange(parameters.Where(p => p.Differentiable).Select(p => p.Shape == ShapeKind.Scalar ? (p.Kind, ShapeKind.Scalar, RefKind.Out) : (p.Kind, ShapeKind.Span, RefKind.None)));
        return list;
    }

    /// <summary>The parameters of a JVP: the function's, then per differentiable parameter a <c>T</c> tangent or a <c>ReadOnlySpan&lt;T&gt;</c>.</summary>
    public static List<(ScalarKind Kind, ShapeKind Shape, RefKind Ref)> JvpParameters(IReadOnlyList<CalleeParam> parameters)
    {
        var list = parameters.Select(p => (p.Kind, p.Shape, RefKind.None)).ToList();
        list.AddRange(parameters.Where(p => p.Differentiable).Select(p => (p.Kind, p.Shape == ShapeKind.Scalar ? ShapeKind.Scalar : ShapeKind.ReadOnlySpan, RefKind.None)));
        return list;
    }

    /// <summary>A parameter as a callee's: its kind, shape, and whether it is differentiable (floating, not <c>[NoDerivative]</c>).</summary>
    public static CalleeParam Classify(IParameterSymbol parameter)
    {
        TypeClassifier.TryClassify(parameter.Type, out ScalarKind kind, out ShapeKind shape);
        return new CalleeParam(kind, shape, TypeClassifier.IsFloating(kind) && !TypeClassifier.HasAttribute(parameter, WellKnownNames.NoDerivativeAttribute));
    }

    // C# tells overloads apart by parameter types and by whether each is passed by reference (ref/out/in alike).
    private static bool Same(IMethodSymbol other, List<(ScalarKind Kind, ShapeKind Shape, RefKind Ref)> expected)
    {
        if (other.Parameters.Length != expected.Count)
        {
            return false;
        }

        for (int i = 0; i < expected.Count; i++)
        {
            IParameterSymbol parameter = other.Parameters[i];
            if (!TypeClassifier.TryClassify(parameter.Type, out ScalarKind kind, out ShapeKind shape) || kind != expected[i].Kind || shape != expected[i].Shape
                || (parameter.RefKind != RefKind.None) != (expected[i].Ref != RefKind.None))
            {
                return false;
            }
        }

        return true;
    }

    // Model methods: a method of the generated name with as many parameters, the method's own at the same place.
    private static bool HasParametersOf(IMethodSymbol other, IMethodSymbol method, int before, int after)
    {
        int offset = before;
        if (other.Parameters.Length != before + method.Parameters.Length + after)
        {
            return false;
        }

        for (int i = 0; i < method.Parameters.Length; i++)
        {
            if (!SymbolEqualityComparer.Default.Equals(other.Parameters[i + offset].Type, method.Parameters[i].Type))
            {
                return false;
            }
        }

        return true;
    }
}
