using System;
using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Autodiff.Generator.Helpers;

/// <summary>Symbol and syntax facts as the text generated code needs; shared by the scalar and model parsers and rules.</summary>
internal static class SymbolText
{
    /// <summary>The namespace (empty for the global one) and the types enclosing and including <paramref name="innermost"/>, outermost first.</summary>
    public static (string Namespace, EquatableArray<ContainingType> Types) Containers(INamedTypeSymbol innermost)
    {
        var types = new List<ContainingType>();
        for (INamedTypeSymbol? type = innermost; type is not null; type = type.ContainingType)
        {
            types.Insert(0, new ContainingType(TypeKeyword(type), type.Name));
        }

        string ns = innermost.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        return (ns, types.ToEquatableArray());
    }

    /// <summary>The keyword that re-opens the type as a partial declaration.</summary>
    public static string TypeKeyword(INamedTypeSymbol type) => (type.IsRecord, type.TypeKind) switch
    {
        (true, TypeKind.Struct) => "record struct",
        (true, _) => "record",
        (_, TypeKind.Struct) => "struct",
        (_, TypeKind.Interface) => "interface",
        _ => "class",
    };

    /// <summary>C# accessibility keywords.</summary>
    public static string Accessibility(Accessibility accessibility) => accessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };

    /// <summary>The type as C# spells it in an error message (<c>double[,]</c>, not <c>double[*,*]</c>).</summary>
    public static string TypeName(ITypeSymbol type) => type is IArrayTypeSymbol { Rank: > 1 } array
        ? TypeName(array.ElementType) + "[" + new string(',', array.Rank - 1) + "]"
        : type is IArrayTypeSymbol jagged ? TypeName(jagged.ElementType) + "[]" : type.ToDisplayString();

    /// <summary>What to use instead of a type the generator does not differentiate, for a parameter or a <paramref name="local"/>.</summary>
    public static string Instead(ITypeSymbol type, bool local = false) => type switch
    {
        IArrayTypeSymbol { Rank: 1, ElementType: INamedTypeSymbol { TypeKind: TypeKind.Struct } element } when StructShape.Of(element) is { UniformKind: null }
            => "an array of structs needs fields all of one kind (it is held as one flat array of them); pass the fields in arrays of their own",
        IArrayTypeSymbol { Rank: > 2 } => "use a two-dimensional array T[,], or store the elements in a one-dimensional array",
        IArrayTypeSymbol { Rank: 2 } => "use double[,], float[,], int[,], long[,] or bool[,]",
        IArrayTypeSymbol { ElementType: IArrayTypeSymbol } => "store the rows one after another in a one-dimensional array",
        INamedTypeSymbol { TypeKind: TypeKind.Delegate } => "write the function as a local function or a [Differentiable] static method and call it",
        INamedTypeSymbol { TypeKind: TypeKind.Struct, SpecialType: SpecialType.None, Name: not ("Span" or "ReadOnlySpan") }
            => (StructShape.Obstacle(type) is { } why ? "'" + type.Name + "' cannot be taken apart into its fields: " + why + "; " : string.Empty)
                + (local ? "keep its fields in double or float locals" : "pass its fields as double or float parameters"),
        _ => local
            ? "use double, float, int, long or bool, or a local array (new T[n] or stackalloc T[n])"
            : "use double, float, int, long or bool, or a one-dimensional array, Span<T> or ReadOnlySpan<T> of them",
    };

    /// <summary>One line of source (whitespace collapsed, at most 100 characters) for comments and messages.</summary>
    /// <remarks>
    /// Token by token, stopping after 100 characters: a loop's comment would otherwise turn its whole body into a string
    /// (and each nested loop's again). Whitespace runs (space, tab, line breaks) become one space.
    /// </remarks>
    public static string OneLine(SyntaxNode syntax)
    {
        var builder = new System.Text.StringBuilder();
        bool pendingSpace = false;
        void Append(string text)
        {
            foreach (char c in text)
            {
                if (c is '\r' or '\n' or '\t' or ' ')
                {
                    pendingSpace = builder.Length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    builder.Append(' ');
                    pendingSpace = false;
                }

                builder.Append(c);
            }
        }

        SyntaxToken first = syntax.GetFirstToken(), last = syntax.GetLastToken();
        foreach (SyntaxToken token in syntax.DescendantTokens())
        {
            if (token != first)
            {
                Append(token.LeadingTrivia.ToFullString());
            }

            Append(token.Text);
            if (token != last)
            {
                Append(token.TrailingTrivia.ToFullString());
            }

            if (builder.Length > 100)
            {
                break;
            }
        }

        return builder.Length <= 100 ? builder.ToString() : builder.ToString(0, 97) + "...";
    }

    /// <summary>Whether some declaration of the type has the <c>partial</c> modifier.</summary>
    public static bool IsPartial(INamedTypeSymbol type)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The using directives of a file (at its top and in its namespaces), as written: for code copied from it.</summary>
    public static IEnumerable<string> Usings(SyntaxTree tree, System.Threading.CancellationToken cancellationToken)
        => tree.GetRoot(cancellationToken).DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
            .OfType<UsingDirectiveSyntax>().Select(u => u.ToString());
}
