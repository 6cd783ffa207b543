using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Arrays and spans of structs whose fields are all of one kind (Vec3[], Span<Particle>): in the IR one flat array of that
// kind, element i's fields at i * leaves + k, as the struct's memory holds them (so a parameter is a view of the caller's
// array, no copy). ps[i].X reads and writes an element; ps[i] as a value is loaded into fresh variables; ps[i] = v and a
// method that changes ps[i] write its fields back.
internal sealed partial class MethodParser
{
    // The flat arrays of the IR that hold structs, and their structs' shape.
    private readonly Dictionary<string, StructShape> _structArrays = new();

    /// <summary>Where an element (or a member of one) lives: the flat array, the element's first index, and the leaf offset and shape or kind at it.</summary>
    private sealed record ElementPath(VarInfo Array, Expr Start, int Offset, StructShape? Shape, ScalarKind Kind)
    {
        public Expr At(int leaf) => new BinaryExpr(ScalarKind.Int, BinaryOp.Add, Start, new ConstExpr(ScalarKind.Int, (Offset + leaf).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary><c>ps[i]</c>, <c>ps[i].Position</c>, <c>ps[i].Position.X</c>: the element path, or null when the operation is none.</summary>
    private ElementPath? ElementPathOf(IOperation operation)
    {
        operation = Unconverted(operation);
        if (operation is IArrayElementReferenceOperation { Indices.Length: 1 } or IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1 })
        {
            (IOperation instance, IOperation index) = operation is IArrayElementReferenceOperation element
                ? (element.ArrayReference, element.Indices[0])
                : (((IPropertyReferenceOperation)operation).Instance!, ((IPropertyReferenceOperation)operation).Arguments[0].Value);
            if (SymbolOf(Unconverted(instance)) is { } symbol && _variables.TryGetValue(symbol, out VarInfo? array) && _structArrays.TryGetValue(array.Name, out StructShape? shape)
                && ParseValue(index, ScalarKind.Int) is { } i)
            {
                Expr start = new BinaryExpr(ScalarKind.Int, BinaryOp.Multiply, i, new ConstExpr(ScalarKind.Int, shape.LeafCount.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return new ElementPath(array, start, 0, shape, default);
            }

            return null;
        }

        (ISymbol? member, IOperation? owner) = operation switch
        {
            IFieldReferenceOperation { Field.IsStatic: false } f => ((ISymbol)f.Field, f.Instance),
            IPropertyReferenceOperation { Property.IsStatic: false, Property.IsIndexer: false } p => (p.Property, p.Instance),
            _ => (null, null),
        };
        if (member is null || owner is null || ElementPathOf(owner) is not { Shape: { } outer } path)
        {
            return null;
        }

        int offset = path.Offset;
        foreach (StructMember m in outer.Members)
        {
            if (m.Is(member))
            {
                return path with { Offset = offset, Shape = m.Nested, Kind = m.Kind };
            }

            offset += m.Nested?.LeafCount ?? 1;
        }

        return null;
    }

    /// <summary>An element (or nested struct of one) loaded into fresh variables.</summary>
    private StructValue LoadElement(ElementPath path, string comment, List<Stmt> output)
    {
        StructValue value = NewStruct(path.Shape!, "__" + path.Array.Name.TrimStart('@') + "Element", VarRole.Local, false);
        int k = 0;
        foreach (VarInfo leaf in value.Leaves())
        {
            output.Add(new AssignStmt(comment, leaf.Name, null, new ElemExpr(path.Array.Kind, path.Array.Name, path.At(k++)), IsDeclaration: true));
        }

        return value;
    }

    /// <summary>A struct value written into an element's fields (<c>ps[i] = v</c>, or back after a method changed a copy).</summary>
    private void StoreElement(ElementPath path, StructValue value, string comment, List<Stmt> output)
    {
        int k = 0;
        foreach (VarInfo leaf in value.Leaves())
        {
            output.Add(new AssignStmt(comment, path.Array.Name, path.At(k++), new VarExpr(leaf.Kind, leaf.Name), IsDeclaration: false));
        }
    }

    /// <summary>Whether writing this element path writes a parameter's array (which a method that returns a value may not do).</summary>
    private bool WritesParameter(ElementPath path) => path.Array.Role == VarRole.Parameter && !(_method.ReturnsVoid && _output is null);

    /// <summary><c>Vec3[] ps</c> and its kin as parameters: the flat array, registered with its shape.</summary>
    private bool DeclareStructArrayParameter(IParameterSymbol parameter)
    {
        if (StructShape.ArrayOf(parameter.Type) is not { } structArray)
        {
            return false;
        }

        bool differentiable = TypeClassifier.IsFloating(structArray.Kind) && !TypeClassifier.HasAttribute(parameter, WellKnownNames.NoDerivativeAttribute);
        var info = new VarInfo(_names.Reserve(parameter.Name), structArray.Kind, structArray.Container == "Span" ? ShapeKind.Span : ShapeKind.ReadOnlySpan, VarRole.Parameter, differentiable);
        _variables[parameter] = info;
        _structArrays[info.Name] = structArray.Shape;
        return true;
    }

    /// <summary><c>var ps = new Vec3[n];</c>: a flat local array of n times the leaves.</summary>
    private void DeclareStructArrayLocal(ILocalSymbol local, StructShape shape, ScalarKind kind, IOperation? value, string comment, Location location, List<Stmt> output)
    {
        value = value is null ? null : Unconverted(value);
        if (value is not IArrayCreationOperation { DimensionSizes.Length: 1, Initializer: null } creation || ParseValue(creation.DimensionSizes[0], ScalarKind.Int) is not { } count)
        {
            Report(Diagnostics.DiagnosticDescriptors.UnsupportedExpression, location, comment, "arrays of structs other than new S[n]",
                "create the array with new S[n] and set its elements");
            _reported.Add(local);
            return;
        }

        VarInfo info = DeclareLocal(local, kind, ShapeKind.Span);
        _structArrays[info.Name] = shape;
        output.Add(new ArrayDeclStmt(comment, info.Name, new BinaryExpr(ScalarKind.Int, BinaryOp.Multiply, count, new ConstExpr(ScalarKind.Int, shape.LeafCount.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
    }

    /// <summary>The element count of an array of structs (its flat length over the leaves), or null for another operation.</summary>
    private Expr? StructArrayLength(IOperation instance)
        => SymbolOf(Unconverted(instance)) is { } symbol && _variables.TryGetValue(symbol, out VarInfo? array) && _structArrays.TryGetValue(array.Name, out StructShape? shape)
            ? new BinaryExpr(ScalarKind.Int, BinaryOp.Divide, new LengthExpr(array.Name), new ConstExpr(ScalarKind.Int, shape.LeafCount.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            : null;
}
