using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// System.Numerics.Vector2, Vector3 and Vector4: values of float fields like any struct of reals, but their operators and
// methods are the library's, so each has a rule here, written per component (a + b is X = a.X + b.X, ...; Dot is the sum
// of the products; Length its square root). Anything else of theirs is reported.
internal sealed partial class MethodParser
{
    private const string MathF = "global::System.MathF";

    /// <summary>The component expressions of a library vector operand: a vector's fields, or a scalar repeated.</summary>
    private Expr[]? Components(IOperation operand, int count, List<Stmt> output)
    {
        if (StructShape.Of(operand.Type) is { IsLibrary: true })
        {
            return ParseStruct(operand, output, out _) is { } value ? value.Leaves().Select(l => (Expr)new VarExpr(l.Kind, l.Name)).ToArray() : null;
        }

        return ParseWithBefore(operand, ScalarKind.Float, output) is { } scalar ? Enumerable.Repeat(scalar, count).ToArray() : null;
    }

    private static Expr Float(double value) => new ConstExpr(ScalarKind.Float, Literal.Number(value, ScalarKind.Float));

    private static Expr Binary(BinaryOp op, Expr left, Expr right) => new BinaryExpr(ScalarKind.Float, op, left, right);

    private static Expr Sum(IEnumerable<Expr> terms) => terms.Aggregate((a, b) => Binary(BinaryOp.Add, a, b));

    private static Expr SquareRoot(Expr value) => new MathCallExpr(ScalarKind.Float, MathF, "Sqrt", new[] { value }.ToEquatableArray());

    /// <summary>A library vector made by an operator, a static method or a constructor; null, reported, for one without a rule.</summary>
    private StructValue? LibraryVector(IMethodSymbol target, IOperation? instance, IOperation[] arguments, IOperation call, StructShape shape, List<Stmt> output)
    {
        int n = shape.Members.Count;
        string name = target.MethodKind == MethodKind.Constructor ? "new" : target.Name;
        Expr[][] operands = new Expr[arguments.Length][];
        for (int i = 0; i < arguments.Length; i++)
        {
            if (Components(arguments[i], n, output) is not { } components)
            {
                return null;
            }

            operands[i] = components;
        }

        Expr[]? result = (name, operands.Length) switch
        {
            ("op_Addition" or "Add", 2) => Map(k => Binary(BinaryOp.Add, operands[0][k], operands[1][k])),
            ("op_Subtraction" or "Subtract", 2) => Map(k => Binary(BinaryOp.Subtract, operands[0][k], operands[1][k])),
            ("op_Multiply" or "Multiply", 2) => Map(k => Binary(BinaryOp.Multiply, operands[0][k], operands[1][k])),
            ("op_Division" or "Divide", 2) => Map(k => Binary(BinaryOp.Divide, operands[0][k], operands[1][k])),
            ("op_UnaryNegation" or "Negate", 1) => Map(k => new UnaryExpr(ScalarKind.Float, UnaryOp.Negate, operands[0][k])),
            ("op_UnaryPlus", 1) => operands[0],
            ("Lerp", 3) => Map(k => Binary(BinaryOp.Add, operands[0][k], Binary(BinaryOp.Multiply, Binary(BinaryOp.Subtract, operands[1][k], operands[0][k]), operands[2][k]))),
            ("Min" or "Max", 2) => Map(k => new MathCallExpr(ScalarKind.Float, MathF, name, new[] { operands[0][k], operands[1][k] }.ToEquatableArray())),
            ("Abs", 1) => Map(k => new MathCallExpr(ScalarKind.Float, MathF, "Abs", new[] { operands[0][k] }.ToEquatableArray())),
            ("SquareRoot", 1) => Map(k => SquareRoot(operands[0][k])),
            ("Cross", 2) when n == 3 => new[]
            {
                Binary(BinaryOp.Subtract, Binary(BinaryOp.Multiply, operands[0][1], operands[1][2]), Binary(BinaryOp.Multiply, operands[0][2], operands[1][1])),
                Binary(BinaryOp.Subtract, Binary(BinaryOp.Multiply, operands[0][2], operands[1][0]), Binary(BinaryOp.Multiply, operands[0][0], operands[1][2])),
                Binary(BinaryOp.Subtract, Binary(BinaryOp.Multiply, operands[0][0], operands[1][1]), Binary(BinaryOp.Multiply, operands[0][1], operands[1][0])),
            },
            ("Normalize", 1) => Normalized(operands[0]),
            ("new", _) => Constructed(),
            _ => null,
        };
        if (result is null)
        {
            Unsupported(call, "this member of " + shape.Type.Name, "use its operators, Dot, Cross, Length, LengthSquared, Distance, DistanceSquared, Normalize, Lerp, Min, Max, Abs, or its fields");
            return null;
        }

        StructValue value = NewStruct(shape, "__" + char.ToLowerInvariant(shape.Type.Name[0]) + shape.Type.Name.Substring(1), VarRole.Local, false);
        string comment = CommentOf(call.Syntax);
        foreach ((VarInfo leaf, Expr component) in value.Leaves().Zip(result, (l, c) => (l, c)))
        {
            output.Add(new AssignStmt(comment, leaf.Name, null, component, IsDeclaration: true));
        }

        return value;

        Expr[] Map(System.Func<int, Expr> component) => Enumerable.Range(0, n).Select(component).ToArray();

        // new Vector3(x, y, z), new Vector3(s), new Vector3(xy, z), new Vector4(xyz, w): the arguments' components in order.
        Expr[]? Constructed()
        {
            if (arguments.Length == 1 && StructShape.Of(arguments[0].Type) is null)
            {
                return operands[0];
            }

            var flat = new List<Expr>();
            for (int i = 0; i < arguments.Length; i++)
            {
                flat.AddRange(StructShape.Of(arguments[i].Type) is { IsLibrary: true } ? operands[i] : new[] { operands[i][0] });
            }

            return flat.Count == n ? flat.ToArray() : null;
        }
    }

    // v / |v|, through a local for the length (read n times).
    private Expr[] Normalized(Expr[] v)
    {
        Expr length = SquareRoot(Sum(v.Select(c => Binary(BinaryOp.Multiply, c, c))));
        return v.Select(c => Binary(BinaryOp.Divide, c, length)).ToArray();
    }

    /// <summary>A scalar of library vectors: <c>Dot</c>, <c>Length()</c>, <c>LengthSquared()</c>, <c>Distance</c>, <c>DistanceSquared</c>.</summary>
    private Expr? LibraryScalar(IMethodSymbol target, IOperation? instance, IOperation[] arguments, IOperation call, List<Stmt> output)
    {
        var operands = new List<Expr[]>();
        foreach (IOperation operand in (instance is null || target.IsStatic ? Enumerable.Empty<IOperation>() : new[] { instance }).Concat(arguments))
        {
            if (Components(operand, StructShape.Of(target.ContainingType)!.Members.Count, output) is not { } components)
            {
                return null;
            }

            operands.Add(components);
        }

        Expr Squares(Expr[] v) => Sum(v.Select(c => Binary(BinaryOp.Multiply, c, c)));
        Expr[] Difference() => operands[0].Zip(operands[1], (a, b) => Binary(BinaryOp.Subtract, a, b)).ToArray();
        return (target.Name, operands.Count) switch
        {
            ("Dot", 2) => Sum(operands[0].Zip(operands[1], (a, b) => Binary(BinaryOp.Multiply, a, b))),
            ("LengthSquared", 1) => Squares(operands[0]),
            ("Length", 1) => SquareRoot(Squares(operands[0])),
            ("DistanceSquared", 2) => Squares(Difference()),
            ("Distance", 2) => SquareRoot(Squares(Difference())),
            _ => Unsupported(call, "this member of " + target.ContainingType.Name, "use Dot, Length, LengthSquared, Distance, DistanceSquared, or its fields"),
        };
    }

    /// <summary><c>Vector3.Zero</c>, <c>One</c>, <c>UnitX</c>...: a constant vector.</summary>
    private StructValue? LibraryConstant(IPropertySymbol property, StructShape shape, IOperation operation, List<Stmt> output)
    {
        int n = shape.Members.Count;
        double[]? components = property.Name switch
        {
            "Zero" => new double[n],
            "One" => Enumerable.Repeat(1.0, n).ToArray(),
            "UnitX" => Enumerable.Range(0, n).Select(k => k == 0 ? 1.0 : 0.0).ToArray(),
            "UnitY" => Enumerable.Range(0, n).Select(k => k == 1 ? 1.0 : 0.0).ToArray(),
            "UnitZ" when n >= 3 => Enumerable.Range(0, n).Select(k => k == 2 ? 1.0 : 0.0).ToArray(),
            "UnitW" when n == 4 => Enumerable.Range(0, n).Select(k => k == 3 ? 1.0 : 0.0).ToArray(),
            _ => null,
        };
        if (components is null)
        {
            Unsupported(operation, "this member of " + shape.Type.Name, "use Zero, One, UnitX, UnitY, UnitZ or UnitW, or a constructor");
            return null;
        }

        StructValue value = NewStruct(shape, "__" + property.Name.ToLowerInvariant(), VarRole.Local, false);
        foreach ((VarInfo leaf, double component) in value.Leaves().Zip(components, (l, c) => (l, c)))
        {
            output.Add(new AssignStmt(CommentOf(operation.Syntax), leaf.Name, null, Float(component), IsDeclaration: true));
        }

        return value;
    }
}
