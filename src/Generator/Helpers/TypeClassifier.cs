using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Helpers;

/// <summary>Maps Roslyn types onto the IR's scalar kinds and shapes.</summary>
internal static class TypeClassifier
{
    public static bool TryScalar(ITypeSymbol? type, out ScalarKind kind)
    {
        kind = default;
        switch (type?.SpecialType)
        {
            case SpecialType.System_Double: kind = ScalarKind.Double; return true;
            case SpecialType.System_Single: kind = ScalarKind.Float; return true;
            case SpecialType.System_Int32: kind = ScalarKind.Int; return true;
            case SpecialType.System_Int64: kind = ScalarKind.Long; return true;
            case SpecialType.System_Boolean: kind = ScalarKind.Bool; return true;
            default: return false;
        }
    }

    /// <summary>Classifies scalars, one-dimensional arrays, <c>Span&lt;T&gt;</c> and <c>ReadOnlySpan&lt;T&gt;</c>.</summary>
    public static bool TryClassify(ITypeSymbol? type, out ScalarKind kind, out ShapeKind shape)
    {
        shape = ShapeKind.Scalar;
        if (TryScalar(type, out kind))
        {
            return true;
        }

        if (type is IArrayTypeSymbol { Rank: 1 } array && TryScalar(array.ElementType, out kind))
        {
            shape = ShapeKind.Array;
            return true;
        }

        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
            && named.ContainingNamespace?.ToDisplayString() == "System"
            && TryScalar(named.TypeArguments[0], out kind))
        {
            if (named.Name == "Span")
            {
                shape = ShapeKind.Span;
                return true;
            }

            if (named.Name == "ReadOnlySpan")
            {
                shape = ShapeKind.ReadOnlySpan;
                return true;
            }
        }

        return false;
    }

    /// <summary>A two-dimensional array of a scalar type, <c>T[,]</c>: in the IR a span of its elements, row by row.</summary>
    public static bool TryMatrix(ITypeSymbol? type, out ScalarKind kind)
    {
        kind = default;
        return type is IArrayTypeSymbol { Rank: 2 } array && TryScalar(array.ElementType, out kind);
    }

    /// <summary>A jagged array of a scalar type, <c>T[][]</c>, or an array of matrices, <c>T[][,]</c> (<paramref name="matrices"/>).</summary>
    public static bool TryJagged(ITypeSymbol? type, out ScalarKind kind, out bool matrices)
    {
        kind = default;
        matrices = false;
        if (type is IArrayTypeSymbol { Rank: 1, ElementType: IArrayTypeSymbol { Rank: 1 or 2 } inner } && TryScalar(inner.ElementType, out kind))
        {
            matrices = inner.Rank == 2;
            return true;
        }

        return false;
    }

    public static bool IsFloating(ScalarKind kind) => kind is ScalarKind.Double or ScalarKind.Float;

    /// <summary>A method that returns a <c>double[]</c>, <c>float[]</c>, <c>double[,]</c> or <c>float[,]</c>: a helper inlined where it is called.</summary>
    public static bool ReturnsArray(IMethodSymbol method)
        => method.ReturnType is IArrayTypeSymbol { Rank: 1 or 2 } array && TryScalar(array.ElementType, out ScalarKind kind) && IsFloating(kind) && !method.ReturnsByRef;

    /// <summary>
    /// A method returning a <c>double[]</c> or <c>float[]</c> (or a struct of reals of one kind) whose parameters are all scalars, one-dimensional arrays
    /// or spans, without <c>[Output]</c> or <c>SecondOrder</c>: besides being inlined where it is called, it is a
    /// vector-valued method of its own (its results the array it returns), with a VJP, a JVP and a Jacobian.
    /// </summary>
    public static bool IsVectorResult(IMethodSymbol method)
        => ((method.ReturnType is IArrayTypeSymbol { Rank: 1 or 2 } && ReturnsArray(method))
                || StructShape.Of(method.ReturnType) is { UniformKind: ScalarKind.Double or ScalarKind.Float } returned && returned.InaccessibleMember() is null)
            && method.MethodKind == MethodKind.Ordinary
            && method.Parameters.All(p => p.RefKind == RefKind.None && !HasAttribute(p, WellKnownNames.OutputAttribute)
                && (TryClassify(p.Type, out _, out _)
                    // The results may come from T[,], jagged, struct and struct-array parameters too (their public
                    // derivatives take those shapes); a struct the public derivatives read and build member by member
                    // needs those members open, else the method stays a helper differentiated where it is called.
                    || TryMatrix(p.Type, out _) || TryJagged(p.Type, out _, out _) || StructShape.ArrayOf(p.Type) is not null
                    || StructShape.Of(p.Type) is { } shape && shape.InaccessibleMember() is null))
            && !SetsNamedArgument(method, WellKnownNames.DifferentiableAttribute, "SecondOrder");

    /// <summary>C# keyword of a scalar kind.</summary>
    public static string Keyword(ScalarKind kind) => kind switch
    {
        ScalarKind.Double => "double",
        ScalarKind.Float => "float",
        ScalarKind.Int => "int",
        ScalarKind.Long => "long",
        ScalarKind.Lanes => Emit.LaneJacobian.LaneType,
        _ => "bool",
    };

    /// <summary>Type of a variable in generated code.</summary>
    public static string TypeText(ScalarKind kind, ShapeKind shape) => shape switch
    {
        ShapeKind.Scalar => Keyword(kind),
        ShapeKind.Array => Keyword(kind) + "[]",
        ShapeKind.Span => "global::System.Span<" + Keyword(kind) + ">",
        _ => "global::System.ReadOnlySpan<" + Keyword(kind) + ">",
    };

    public static bool HasAttribute(ISymbol symbol, string metadataName)
    {
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == metadataName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether an attribute of <paramref name="metadataName"/> on the symbol sets the bool property <paramref name="property"/> to true.</summary>
    public static bool SetsNamedArgument(ISymbol symbol, string metadataName, string property)
    {
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == metadataName)
            {
                foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                {
                    if (argument.Key == property && argument.Value.Value is true)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
