using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Helpers;

/// <summary>
/// A user struct of reals: its instance fields (an auto-property's backing field standing for the property), each a
/// scalar or again such a struct. The IR holds a value of it as one scalar variable per leaf, in declaration order.
/// </summary>
internal sealed class StructShape
{
    private StructShape(INamedTypeSymbol type, List<StructMember> members, bool isLibrary = false)
    {
        Type = type;
        Members = members;
        IsLibrary = isLibrary;
    }

    public INamedTypeSymbol Type { get; }

    /// <summary><c>System.Numerics.Vector2</c>, <c>Vector3</c> or <c>Vector4</c>: its operators and methods have rules of their own (not inlined).</summary>
    public bool IsLibrary { get; }

    /// <summary>The storage members, in declaration order.</summary>
    public List<StructMember> Members { get; }

    /// <summary>How many scalar leaves a value holds (nested structs' counted in).</summary>
    public int LeafCount => Members.Sum(m => m.Nested?.LeafCount ?? 1);

    /// <summary>Every scalar leaf, depth first: its path of member names (<c>A.X</c>) and kind.</summary>
    public IEnumerable<(string Path, ScalarKind Kind, ISymbol Field)> Leaves()
    {
        foreach (StructMember member in Members)
        {
            if (member.Nested is { } nested)
            {
                foreach ((string path, ScalarKind kind, ISymbol field) in nested.Leaves())
                {
                    yield return (member.Name + "." + path, kind, field);
                }
            }
            else
            {
                yield return (member.Name, member.Kind, member.Field);
            }
        }
    }

    /// <summary>
    /// The shape of a struct the generator flattens: a non-generic struct declared in source (its members can be
    /// inlined), not in a <c>System</c> namespace, whose instance fields are all scalars or such structs. Null otherwise.
    /// </summary>
    public static StructShape? Of(ITypeSymbol? type) => Of(type, 0);

    private static StructShape? Of(ITypeSymbol? type, int depth)
    {
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Struct, Name: "Complex" } complex && complex.ContainingNamespace?.ToDisplayString() == "System.Numerics"
            && complex.GetMembers("Real").OfType<IPropertySymbol>().FirstOrDefault() is { Type.SpecialType: SpecialType.System_Double } real
            && complex.GetMembers("Imaginary").OfType<IPropertySymbol>().FirstOrDefault() is { Type.SpecialType: SpecialType.System_Double } imaginary)
        {
            // Real and Imaginary: read-only double properties (the fields are private), made by the constructor.
            return new StructShape(complex, new List<StructMember> { new("Real", real, ScalarKind.Double, null), new("Imaginary", imaginary, ScalarKind.Double, null) }, isLibrary: true);
        }

        if (type is INamedTypeSymbol { TypeKind: TypeKind.Struct, Name: "Vector2" or "Vector3" or "Vector4" or "Quaternion" } vector
            && vector.ContainingNamespace?.ToDisplayString() == "System.Numerics" && !vector.IsGenericType)
        {
            // X, Y, Z, W: public float fields.
            var fields = new List<StructMember>();
            foreach (string name in new[] { "X", "Y", "Z", "W" }.Take(vector.Name == "Quaternion" ? 4 : vector.Name[6] - '0'))
            {
                if (vector.GetMembers(name).OfType<IFieldSymbol>().FirstOrDefault() is not { Type.SpecialType: SpecialType.System_Single } field)
                {
                    return null;
                }

                fields.Add(new StructMember(name, field, ScalarKind.Float, null));
            }

            return new StructShape(vector, fields, isLibrary: true);
        }

        if (depth > 8 || type is not INamedTypeSymbol { TypeKind: TypeKind.Struct, SpecialType: SpecialType.None, IsGenericType: false } named
            || named.DeclaringSyntaxReferences.Length == 0 || IsSystem(named))
        {
            return null;
        }

        var members = new List<StructMember>();
        foreach (IFieldSymbol field in named.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst))
        {
            string name = field.AssociatedSymbol?.Name ?? field.Name;
            if (TypeClassifier.TryScalar(field.Type, out ScalarKind kind))
            {
                members.Add(new StructMember(name, field, kind, null));
            }
            else if (Of(field.Type, depth + 1) is { } nested)
            {
                members.Add(new StructMember(name, field, default, nested));
            }
            else
            {
                return null;
            }
        }

        return members.Count == 0 ? null : new StructShape(named, members);
    }

    /// <summary>Why a struct cannot be flattened, for messages: the first member of another type, or null.</summary>
    public static string? Obstacle(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct } named)
        {
            return null;
        }

        if (IsSystem(named))
        {
            return "it is a library type, whose operators and methods the generator cannot read (of System.Numerics, Vector2, Vector3, Vector4, Quaternion and Complex are supported)";
        }

        if (named.IsGenericType)
        {
            return "it is generic";
        }

        if (named.DeclaringSyntaxReferences.Length == 0)
        {
            return "it is declared in another assembly, whose members the generator cannot read";
        }

        foreach (IFieldSymbol field in named.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst))
        {
            if (!TypeClassifier.TryScalar(field.Type, out _) && Of(field.Type) is null)
            {
                return "its member '" + (field.AssociatedSymbol?.Name ?? field.Name) + "' is a " + SymbolText.TypeName(field.Type)
                    + " (a struct's members must be double, float, int, long, bool or such structs)";
            }
        }

        return null;
    }

    /// <summary>
    /// Members the generated code cannot read or set from outside the struct (a struct parameter's derivatives are read
    /// member by member and built with <c>with { ... }</c>): the first such member's name, or null.
    /// </summary>
    public string? InaccessibleMember()
    {
        if (IsLibrary)
        {
            // Built by its constructor (Template), read by its public members.
            return null;
        }

        foreach (StructMember member in Members)
        {
            ISymbol symbol = (member.Field as IFieldSymbol)?.AssociatedSymbol ?? member.Field;
            bool open = symbol.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal;
            bool settable = symbol is IPropertySymbol property ? property.SetMethod is { DeclaredAccessibility: Accessibility.Public or Accessibility.Internal } : member.Field is IFieldSymbol { IsReadOnly: false };
            if (!open || !settable)
            {
                return member.Name;
            }

            if (member.Nested?.InaccessibleMember() is { } inner)
            {
                return member.Name + "." + inner;
            }
        }

        return null;
    }

    /// <summary>The one kind of every leaf (an array of such structs is then a flat array of that kind), or null.</summary>
    public ScalarKind? UniformKind => Leaves().Select(l => l.Kind).Distinct().Count() == 1 ? Leaves().First().Kind : null;

    /// <summary>
    /// <c>S[]</c>, <c>Span&lt;S&gt;</c> or <c>ReadOnlySpan&lt;S&gt;</c> of a struct of reals whose fields are all of one kind: in
    /// the IR a flat array of that kind, element i's leaves at [i * leaves, (i + 1) * leaves). Null otherwise.
    /// </summary>
    public static (StructShape Shape, ScalarKind Kind, string Container)? ArrayOf(ITypeSymbol? type)
    {
        (ITypeSymbol? element, string container) = type switch
        {
            IArrayTypeSymbol { Rank: 1 } array => (array.ElementType, "array"),
            INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", TypeArguments.Length: 1 } span when span.ContainingNamespace?.ToDisplayString() == "System" => (span.TypeArguments[0], span.Name),
            _ => (null, string.Empty),
        };
        return Of(element) is { UniformKind: { } kind } shape && SequentialLayout(shape) ? (shape, kind, container) : null;
    }

    // The fields lie in memory in declaration order (no [StructLayout(Explicit or Auto)] anywhere in the struct), so the
    // array's memory is its fields in the order of Leaves.
    private static bool SequentialLayout(StructShape shape)
        => !shape.Type.GetAttributes().Any(a => a.AttributeClass?.Name == "StructLayoutAttribute" && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is int kind && kind != 0)
            && shape.Members.All(m => m.Nested is null || SequentialLayout(m.Nested));

    /// <summary><c>default(T) with { X = {0}, A = default(U) with { Y = {1} } }</c>: the value built from its leaves, in order.</summary>
    public string Template()
    {
        if (IsLibrary)
        {
            // new Vector3({0}, {1}, {2}), new Complex({0}, {1}).
            return "new " + Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "(" + string.Join(", ", Members.Select((_, i) => "{" + i + "}")) + ")";
        }

        int next = 0;
        return Build(this, ref next);

        static string Build(StructShape shape, ref int next)
        {
            var parts = new List<string>();
            foreach (StructMember member in shape.Members)
            {
                if (member.Nested is { } nested)
                {
                    parts.Add(member.Name + " = " + Build(nested, ref next));
                }
                else
                {
                    parts.Add(member.Name + " = {" + next++ + "}");
                }
            }

            return "default(" + shape.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ") with { " + string.Join(", ", parts) + " }";
        }
    }

    private static bool IsSystem(INamedTypeSymbol type)
    {
        string? ns = type.ContainingNamespace?.ToDisplayString();
        return ns is not null && (ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal));
    }
}

/// <summary>A storage member of a struct: its name (the property's, for an auto-property), its field, and its scalar kind or nested shape.</summary>
/// <remarks><see cref="Field"/> is the field, or for a library struct whose fields are private (<c>Complex</c>) the property that reads it.</remarks>
internal sealed record StructMember(string Name, ISymbol Field, ScalarKind Kind, StructShape? Nested)
{
    /// <summary>Whether a field or property reference names this member (an auto-property names its backing field).</summary>
    public bool Is(ISymbol symbol)
        => SymbolEqualityComparer.Default.Equals(Field, symbol) || SymbolEqualityComparer.Default.Equals((Field as IFieldSymbol)?.AssociatedSymbol, symbol);
}
