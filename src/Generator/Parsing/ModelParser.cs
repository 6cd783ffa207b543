using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Ir.Tensors;
using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Parsing;

/// <summary>Reads a <c>[Model]</c> class into a <see cref="ModelClass"/>: its tensor and layer members, in declaration order.</summary>
internal static class ModelParser
{
    /// <summary>The parse step for <c>[Model]</c> classes; declaration problems are the analyzer's (null here).</summary>
    public static ModelClass? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || ModelRules.Check(type).Count > 0)
        {
            return null;
        }

        var members = new List<ModelMember>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TrainableMember(member) is { } trainable)
            {
                members.Add(trainable);
            }
        }

        (string ns, EquatableArray<ContainingType> types) = SymbolText.Containers(type);
        string hint = (ns.Length > 0 ? ns + "." : string.Empty) + string.Join(".", types.Select(t => t.Name)) + ".Model.g.cs";
        return new ModelClass(hint, ns, types, type.Name, members.ToEquatableArray());
    }

    /// <summary>A member that the gradient mirrors: an instance Tensor field/property, or a field/property of a [Model] type.</summary>
    public static ModelMember? TrainableMember(ISymbol member)
    {
        if (member.IsStatic || member.IsImplicitlyDeclared || TypeClassifier.HasAttribute(member, WellKnownNames.NoDerivativeAttribute))
        {
            return null;
        }

        ITypeSymbol? type = member switch
        {
            IFieldSymbol field when field.AssociatedSymbol is null => field.Type,
            IPropertySymbol { IsIndexer: false, GetMethod: not null } property => property.Type,
            _ => null,
        };
        if (type is null)
        {
            return null;
        }

        if (IsTensor(type))
        {
            return new ModelMember(member.Name, true, null);
        }

        if (type is INamedTypeSymbol named && TypeClassifier.HasAttribute(named, WellKnownNames.ModelAttribute))
        {
            // A layer whose [Model] type has a declaration error gets no Gradient: left out, and calls into it are AD0110.
            return ModelRules.IsGenerated(named) ? new ModelMember(member.Name, false, named.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)) : null;
        }

        if (LayerListElement(type) is { } list && ModelRules.IsGenerated(list.Element))
        {
            return new ModelMember(member.Name, false, list.Element.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), list.Count);
        }

        return null;
    }

    /// <summary>For <c>T[]</c>, <c>List&lt;T&gt;</c>, <c>IList&lt;T&gt;</c> or <c>IReadOnlyList&lt;T&gt;</c> of a <c>[Model]</c> T: T and the count property.</summary>
    public static (INamedTypeSymbol Element, string Count)? LayerListElement(ITypeSymbol? type)
    {
        if (type is IArrayTypeSymbol { Rank: 1, ElementType: INamedTypeSymbol element } && TypeClassifier.HasAttribute(element, WellKnownNames.ModelAttribute))
        {
            return (element, "Length");
        }

        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic
            && generic.TypeArguments[0] is INamedTypeSymbol item && TypeClassifier.HasAttribute(item, WellKnownNames.ModelAttribute)
            && generic.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.List<T>" or "System.Collections.Generic.IList<T>" or "System.Collections.Generic.IReadOnlyList<T>")
        {
            return (item, "Count");
        }

        return null;
    }

    /// <remarks>By name, not <c>ToDisplayString</c>: this runs for every parameter of every <c>[Differentiable]</c> method, and formatting
    /// a symbol's display string cost 5% of the scalar parse.</remarks>
    public static bool IsTensor(ITypeSymbol? type)
        => type is INamedTypeSymbol { Name: "Tensor", Arity: 0, ContainingType: null, ContainingNamespace: { Name: "Autodiff", ContainingNamespace.IsGlobalNamespace: true } };
}
