using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>Short constructors of the IR expressions derivative code is made of.</summary>
internal static class Build
{
    public static VarExpr Var(ScalarKind kind, string name) => new(kind, name);

    public static ConstExpr Lit(double value, ScalarKind kind) => new(kind, Literal.Number(value, kind));

    public static ConstExpr Int(int value) => new(ScalarKind.Int, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static Expr Mul(Expr a, Expr b) => new BinaryExpr(a.Kind, BinaryOp.Multiply, a, b);

    public static Expr Div(Expr a, Expr b) => new BinaryExpr(a.Kind, BinaryOp.Divide, a, b);

    public static Expr Add(Expr a, Expr b) => new BinaryExpr(a.Kind, BinaryOp.Add, a, b);

    public static Expr Sub(Expr a, Expr b) => new BinaryExpr(a.Kind, BinaryOp.Subtract, a, b);

    public static Expr Compare(BinaryOp op, Expr a, Expr b) => new BinaryExpr(ScalarKind.Bool, op, a, b);

    public static Expr Math(ScalarKind kind, string function, params Expr[] args)
        => new MathCallExpr(kind, kind == ScalarKind.Float ? "global::System.MathF" : "global::System.Math", function, new EquatableArray<Expr>(args));

    public static Expr Invoke(ScalarKind kind, string function, params Expr[] args) => new InvokeExpr(kind, function, new EquatableArray<Expr>(args));

    /// <summary><c>start</c>, <c>start + c</c> or <c>start - c</c> on ints (an index from a counter, a bound from a length).</summary>
    public static Expr Offset(Expr start, int offset)
        => offset == 0 ? start : new BinaryExpr(ScalarKind.Int, offset > 0 ? BinaryOp.Add : BinaryOp.Subtract, start, Int(System.Math.Abs(offset)));

    /// <summary>
    /// <c>k = 0; while (k &lt; count) { body; k = k + 1; }</c> on the int variable <paramref name="k"/> (the first
    /// statement declares it): the counted loop of the IR, as a <c>for</c> over 0 .. count - 1 is parsed.
    /// </summary>
    public static Stmt[] CountedLoop(string comment, string k, Expr count, System.Collections.Generic.IEnumerable<Stmt> body)
    {
        VarExpr counter = Var(ScalarKind.Int, k);
        var step = new Stmt[] { new AssignStmt(comment, k, null, new BinaryExpr(ScalarKind.Int, BinaryOp.Add, counter, Int(1)), IsDeclaration: false) };
        return new Stmt[]
        {
            new AssignStmt(comment, k, null, Int(0), IsDeclaration: true),
            new LoopStmt(comment, Compare(BinaryOp.Less, counter, count), body.ToEquatableArray(), step.ToEquatableArray(), TestAtEnd: false),
        };
    }

    /// <summary><c>Max(0, value)</c> on ints.</summary>
    public static Expr AtLeastZero(Expr value) => new MathCallExpr(ScalarKind.Int, "global::System.Math", "Max", new EquatableArray<Expr>(new[] { Int(0), value }));

    /// <summary>The expression with the nodes <paramref name="substitute"/> names replaced (pre-order: a replaced node is not entered).</summary>
    public static Expr Substitute(Expr expr, System.Func<Expr, Expr?> substitute)
    {
        if (substitute(expr) is { } replaced)
        {
            return replaced;
        }

        return expr switch
        {
            ElemExpr e => e with { Index = Substitute(e.Index, substitute) },
            UnaryExpr u => u with { Operand = Substitute(u.Operand, substitute) },
            BinaryExpr b => b with { Left = Substitute(b.Left, substitute), Right = Substitute(b.Right, substitute) },
            CondExpr c => c with { Condition = Substitute(c.Condition, substitute), WhenTrue = Substitute(c.WhenTrue, substitute), WhenFalse = Substitute(c.WhenFalse, substitute) },
            ConvertExpr c => c with { Operand = Substitute(c.Operand, substitute) },
            MathCallExpr m => m with { Args = Map(m.Args, substitute) },
            CallExpr c => c with { Args = Map(c.Args, substitute) },
            StopGradientExpr s => s with { Operand = Substitute(s.Operand, substitute) },
            InvokeExpr i => i with { Args = Map(i.Args, substitute) },
            _ => expr,
        };
    }

    private static EquatableArray<Expr> Map(EquatableArray<Expr> args, System.Func<Expr, Expr?> substitute)
    {
        var mapped = new Expr[args.Count];
        for (int i = 0; i < mapped.Length; i++)
        {
            mapped[i] = Substitute(args[i], substitute);
        }

        return new EquatableArray<Expr>(mapped);
    }
}
