using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// System.Numerics.Vector2, Vector3, Vector4 and Quaternion (float fields X, Y, Z, W) and Complex (double Real and
// Imaginary): values like any struct of reals, but their operators and methods are the library's, so each has a rule
// here written per component (a + b is X = a.X + b.X, ...; a quaternion product the Hamilton product; a complex
// exponential e^re (cos im, sin im)). Anything else of theirs is reported, naming it.
internal sealed partial class MethodParser
{
    /// <summary>The component expressions of an operand: a library value's fields, or a scalar (in <paramref name="kind"/>).</summary>
    private Expr[]? Components(IOperation operand, ScalarKind kind, List<Stmt> output)
    {
        if (StructShape.Of(operand.Type) is { IsLibrary: true })
        {
            return ParseStruct(operand, output, out _) is { } value ? value.Leaves().Select(l => (Expr)new VarExpr(l.Kind, l.Name)).ToArray() : null;
        }

        return ParseWithBefore(operand, kind, output) is { } scalar ? new[] { scalar } : null;
    }

    /// <summary>Builds component expressions of one kind: the float of the vectors, the double of Complex.</summary>
    private sealed class Algebra
    {
        private readonly ScalarKind _kind;
        private readonly string _math;

        public Algebra(ScalarKind kind)
        {
            _kind = kind;
            _math = kind == ScalarKind.Float ? "global::System.MathF" : "global::System.Math";
        }

        public Expr Constant(double value) => new ConstExpr(_kind, Literal.Number(value, _kind));

        public Expr Add(Expr a, Expr b) => new BinaryExpr(_kind, BinaryOp.Add, a, b);

        public Expr Sub(Expr a, Expr b) => new BinaryExpr(_kind, BinaryOp.Subtract, a, b);

        public Expr Mul(Expr a, Expr b) => new BinaryExpr(_kind, BinaryOp.Multiply, a, b);

        public Expr Div(Expr a, Expr b) => new BinaryExpr(_kind, BinaryOp.Divide, a, b);

        public Expr Neg(Expr a) => new UnaryExpr(_kind, UnaryOp.Negate, a);

        public Expr Call(string function, params Expr[] arguments) => new MathCallExpr(_kind, _math, function, arguments.ToEquatableArray());

        public Expr Sum(IEnumerable<Expr> terms) => terms.Aggregate(Add);

        public Expr Dot(Expr[] a, Expr[] b) => Sum(a.Zip(b, Mul));

        public Expr Norm(Expr[] a) => Call("Sqrt", Dot(a, a));
    }

    /// <summary>A library value made by an operator, a static method or a constructor; null, reported, for one without a rule.</summary>
    private StructValue? LibraryVector(IMethodSymbol target, IOperation? instance, IOperation[] arguments, IOperation call, StructShape shape, List<Stmt> output)
    {
        int n = shape.Members.Count;
        ScalarKind kind = shape.Members[0].Kind;
        var m = new Algebra(kind);
        string name = target.MethodKind == MethodKind.Constructor ? "new" : target.Name;
        var operands = new Expr[arguments.Length][];
        var scalar = new bool[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            scalar[i] = StructShape.Of(arguments[i].Type) is null;
            if (Components(arguments[i], kind, output) is not { } components)
            {
                return null;
            }

            operands[i] = components;
        }

        Expr[]? result = shape.Type.Name switch
        {
            "Complex" => ComplexRule(m, name, operands, scalar),
            "Quaternion" => QuaternionRule(m, name, operands, scalar),
            _ => VectorRule(m, name, operands, scalar, n),
        };
        if (result is null || result.Length != n)
        {
            Unsupported(call, "this member of " + shape.Type.Name + " (" + target.Name + ")", "use its operators, constructors and the members the generator knows (docs/scalar-functions.md), or its fields");
            return null;
        }

        StructValue value = NewStruct(shape, "__" + char.ToLowerInvariant(shape.Type.Name[0]) + shape.Type.Name.Substring(1), VarRole.Local, false);
        string comment = CommentOf(call.Syntax);
        foreach ((VarInfo leaf, Expr component) in value.Leaves().Zip(result, (l, c) => (l, c)))
        {
            output.Add(new AssignStmt(comment, leaf.Name, null, component, IsDeclaration: true));
        }

        return value;
    }

    // Vector2/3/4: componentwise, a scalar operand repeated in every component.
    private static Expr[]? VectorRule(Algebra m, string name, Expr[][] o, bool[] scalar, int n)
    {
        Expr At(int operand, int k) => scalar[operand] ? o[operand][0] : o[operand][k];
        Expr[] Map(System.Func<int, Expr> component) => Enumerable.Range(0, n).Select(component).ToArray();
        return (name, o.Length) switch
        {
            ("op_Addition" or "Add", 2) => Map(k => m.Add(At(0, k), At(1, k))),
            ("op_Subtraction" or "Subtract", 2) => Map(k => m.Sub(At(0, k), At(1, k))),
            ("op_Multiply" or "Multiply", 2) => Map(k => m.Mul(At(0, k), At(1, k))),
            ("op_Division" or "Divide", 2) => Map(k => m.Div(At(0, k), At(1, k))),
            ("op_UnaryNegation" or "Negate", 1) => Map(k => m.Neg(At(0, k))),
            ("op_UnaryPlus", 1) => o[0],
            ("Lerp", 3) => Map(k => m.Add(At(0, k), m.Mul(m.Sub(At(1, k), At(0, k)), At(2, k)))),
            ("Min" or "Max", 2) => Map(k => m.Call(name, At(0, k), At(1, k))),
            ("Abs", 1) => Map(k => m.Call("Abs", At(0, k))),
            ("SquareRoot", 1) => Map(k => m.Call("Sqrt", At(0, k))),
            ("Cross", 2) when n == 3 => Cross(m, o[0], o[1]),
            ("Normalize", 1) => o[0].Select(c => m.Div(c, m.Norm(o[0]))).ToArray(),
            ("Transform", 2) when n == 3 && !scalar[1] && o[1].Length == 4 => Rotate(m, o[0], o[1]),
            ("new", 1) when scalar[0] => Map(_ => o[0][0]),
            ("new", _) => o.SelectMany(c => c).ToArray(),
            _ => null,
        };
    }

    private static Expr[] Cross(Algebra m, Expr[] a, Expr[] b) => new[]
    {
        m.Sub(m.Mul(a[1], b[2]), m.Mul(a[2], b[1])),
        m.Sub(m.Mul(a[2], b[0]), m.Mul(a[0], b[2])),
        m.Sub(m.Mul(a[0], b[1]), m.Mul(a[1], b[0])),
    };

    // Vector3.Transform(v, q): v rotated by the unit quaternion q (the library's formula).
    private static Expr[] Rotate(Algebra m, Expr[] v, Expr[] q)
    {
        Expr two = m.Constant(2), one = m.Constant(1);
        Expr x2 = m.Mul(two, q[0]), y2 = m.Mul(two, q[1]), z2 = m.Mul(two, q[2]);
        Expr wx = m.Mul(q[3], x2), wy = m.Mul(q[3], y2), wz = m.Mul(q[3], z2);
        Expr xx = m.Mul(q[0], x2), xy = m.Mul(q[0], y2), xz = m.Mul(q[0], z2);
        Expr yy = m.Mul(q[1], y2), yz = m.Mul(q[1], z2), zz = m.Mul(q[2], z2);
        return new[]
        {
            m.Sum(new[] { m.Mul(v[0], m.Sub(m.Sub(one, yy), zz)), m.Mul(v[1], m.Sub(xy, wz)), m.Mul(v[2], m.Add(xz, wy)) }),
            m.Sum(new[] { m.Mul(v[0], m.Add(xy, wz)), m.Mul(v[1], m.Sub(m.Sub(one, xx), zz)), m.Mul(v[2], m.Sub(yz, wx)) }),
            m.Sum(new[] { m.Mul(v[0], m.Sub(xz, wy)), m.Mul(v[1], m.Add(yz, wx)), m.Mul(v[2], m.Sub(m.Sub(one, xx), yy)) }),
        };
    }

    // Quaternion (X, Y, Z, W): the Hamilton product, conjugate, inverse, and the componentwise rest.
    private static Expr[]? QuaternionRule(Algebra m, string name, Expr[][] o, bool[] scalar)
    {
        Expr[] Product(Expr[] a, Expr[] b) => new[]
        {
            m.Sum(new[] { m.Mul(a[0], b[3]), m.Mul(b[0], a[3]), m.Sub(m.Mul(a[1], b[2]), m.Mul(a[2], b[1])) }),
            m.Sum(new[] { m.Mul(a[1], b[3]), m.Mul(b[1], a[3]), m.Sub(m.Mul(a[2], b[0]), m.Mul(a[0], b[2])) }),
            m.Sum(new[] { m.Mul(a[2], b[3]), m.Mul(b[2], a[3]), m.Sub(m.Mul(a[0], b[1]), m.Mul(a[1], b[0])) }),
            m.Sub(m.Mul(a[3], b[3]), m.Dot(a.Take(3).ToArray(), b.Take(3).ToArray())),
        };
        Expr[] Conjugate(Expr[] a) => new[] { m.Neg(a[0]), m.Neg(a[1]), m.Neg(a[2]), a[3] };
        Expr[] Inverse(Expr[] a) => Conjugate(a).Select(c => m.Div(c, m.Dot(a, a))).ToArray();
        return (name, o.Length) switch
        {
            ("op_Addition" or "Add", 2) => o[0].Zip(o[1], m.Add).ToArray(),
            ("op_Subtraction" or "Subtract", 2) => o[0].Zip(o[1], m.Sub).ToArray(),
            ("op_Multiply" or "Multiply", 2) when scalar[1] => o[0].Select(c => m.Mul(c, o[1][0])).ToArray(),
            ("op_Multiply" or "Multiply", 2) => Product(o[0], o[1]),
            ("op_Division" or "Divide", 2) => Product(o[0], Inverse(o[1])),
            ("op_UnaryNegation" or "Negate", 1) => o[0].Select(m.Neg).ToArray(),
            ("Concatenate", 2) => Product(o[1], o[0]),
            ("Conjugate", 1) => Conjugate(o[0]),
            ("Inverse", 1) => Inverse(o[0]),
            ("Normalize", 1) => o[0].Select(c => m.Div(c, m.Norm(o[0]))).ToArray(),
            ("CreateFromAxisAngle", 2) => o[0].Select(c => m.Mul(c, m.Call("Sin", m.Mul(m.Constant(0.5), o[1][0])))).Append(m.Call("Cos", m.Mul(m.Constant(0.5), o[1][0]))).ToArray(),
            ("new", _) => o.SelectMany(c => c).ToArray(),
            _ => null,
        };
    }

    // Complex (Real, Imaginary): a scalar operand is (s, 0).
    private static Expr[]? ComplexRule(Algebra m, string name, Expr[][] o, bool[] scalar)
    {
        Expr[] Z(int i) => scalar[i] ? new[] { o[i][0], m.Constant(0) } : o[i];
        Expr[] Product(Expr[] a, Expr[] b) => new[] { m.Sub(m.Mul(a[0], b[0]), m.Mul(a[1], b[1])), m.Add(m.Mul(a[0], b[1]), m.Mul(a[1], b[0])) };
        Expr[] Quotient(Expr[] a, Expr[] b)
        {
            Expr denominator = m.Add(m.Mul(b[0], b[0]), m.Mul(b[1], b[1]));
            return new[] { m.Div(m.Add(m.Mul(a[0], b[0]), m.Mul(a[1], b[1])), denominator), m.Div(m.Sub(m.Mul(a[1], b[0]), m.Mul(a[0], b[1])), denominator) };
        }

        Expr[] Polar(Expr magnitude, Expr phase) => new[] { m.Mul(magnitude, m.Call("Cos", phase)), m.Mul(magnitude, m.Call("Sin", phase)) };
        return (name, o.Length) switch
        {
            ("op_Addition" or "Add", 2) => Z(0).Zip(Z(1), m.Add).ToArray(),
            ("op_Subtraction" or "Subtract", 2) => Z(0).Zip(Z(1), m.Sub).ToArray(),
            ("op_Multiply" or "Multiply", 2) => Product(Z(0), Z(1)),
            ("op_Division" or "Divide", 2) => Quotient(Z(0), Z(1)),
            ("op_UnaryNegation" or "Negate", 1) => Z(0).Select(m.Neg).ToArray(),
            ("op_Implicit", 1) => Z(0),
            ("Conjugate", 1) => new[] { Z(0)[0], m.Neg(Z(0)[1]) },
            ("Reciprocal", 1) => Quotient(new[] { m.Constant(1), m.Constant(0) }, Z(0)),
            ("Exp", 1) => Polar(m.Call("Exp", Z(0)[0]), Z(0)[1]),
            ("Log", 1) => new[] { m.Call("Log", m.Norm(Z(0))), m.Call("Atan2", Z(0)[1], Z(0)[0]) },
            ("Sqrt", 1) => Polar(m.Call("Sqrt", m.Norm(Z(0))), m.Mul(m.Constant(0.5), m.Call("Atan2", Z(0)[1], Z(0)[0]))),
            ("FromPolarCoordinates", 2) => Polar(o[0][0], o[1][0]),
            ("new", 2) => new[] { o[0][0], o[1][0] },
            _ => null,
        };
    }

    /// <summary>A scalar of library values: <c>Dot</c>, <c>Length()</c>, <c>Distance</c>, a complex number's <c>Magnitude</c>, <c>Phase</c>, <c>Abs</c>.</summary>
    private Expr? LibraryScalar(IMethodSymbol target, IOperation? instance, IOperation[] arguments, IOperation call, List<Stmt> output, StructValue? parsed = null)
    {
        StructShape shape = StructShape.Of(target.ContainingType)!;
        var m = new Algebra(shape.Members[0].Kind);
        var operands = new List<Expr[]>();
        if (parsed is not null && instance is not null && !target.IsStatic)
        {
            // The instance, already parsed by the caller.
            operands.Add(parsed.Leaves().Select(l => (Expr)new VarExpr(l.Kind, l.Name)).ToArray());
            instance = null;
        }

        foreach (IOperation operand in (instance is null || target.IsStatic ? Enumerable.Empty<IOperation>() : new[] { instance }).Concat(arguments))
        {
            if (Components(operand, shape.Members[0].Kind, output) is not { } components)
            {
                return null;
            }

            operands.Add(components);
        }

        Expr[] Difference() => operands[0].Zip(operands[1], m.Sub).ToArray();
        return (target.Name, operands.Count) switch
        {
            ("Dot", 2) => m.Dot(operands[0], operands[1]),
            ("LengthSquared", 1) => m.Dot(operands[0], operands[0]),
            ("Length" or "get_Magnitude" or "Abs", 1) => m.Norm(operands[0]),
            ("get_Phase", 1) when operands[0].Length == 2 => m.Call("Atan2", operands[0][1], operands[0][0]),
            ("DistanceSquared", 2) => m.Dot(Difference(), Difference()),
            ("Distance", 2) => m.Norm(Difference()),
            _ => Unsupported(call, "this member of " + target.ContainingType.Name + " (" + target.Name.Replace("get_", string.Empty) + ")",
                "use the members the generator knows (docs/scalar-functions.md), or its fields"),
        };
    }

    /// <summary><c>Vector3.Zero</c>, <c>One</c>, <c>UnitX</c>..., <c>Quaternion.Identity</c>, <c>Complex.ImaginaryOne</c>: a constant value.</summary>
    private StructValue? LibraryConstant(ISymbol property, StructShape shape, IOperation operation, List<Stmt> output)
    {
        int n = shape.Members.Count;
        double[] Unit(int k) => Enumerable.Range(0, n).Select(i => i == k ? 1.0 : 0.0).ToArray();
        double[]? components = property.Name switch
        {
            "Zero" => new double[n],
            "One" when shape.Type.Name == "Complex" => Unit(0),
            "One" => Enumerable.Repeat(1.0, n).ToArray(),
            "ImaginaryOne" when n == 2 => Unit(1),
            "Identity" when shape.Type.Name == "Quaternion" => Unit(3),
            "UnitX" => Unit(0),
            "UnitY" => Unit(1),
            "UnitZ" when n >= 3 => Unit(2),
            "UnitW" when n == 4 => Unit(3),
            _ => null,
        };
        if (components is null)
        {
            Unsupported(operation, "this member of " + shape.Type.Name, "use Zero, One, the unit values, Identity or ImaginaryOne, or a constructor");
            return null;
        }

        var m = new Algebra(shape.Members[0].Kind);
        StructValue value = NewStruct(shape, "__" + property.Name.ToLowerInvariant(), VarRole.Local, false);
        foreach ((VarInfo leaf, double component) in value.Leaves().Zip(components, (l, c) => (l, c)))
        {
            output.Add(new AssignStmt(CommentOf(operation.Syntax), leaf.Name, null, m.Constant(component), IsDeclaration: true));
        }

        return value;
    }
}
