using System;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>Prints IR expressions as C#, with as few parentheses as C#'s precedence allows.</summary>
internal static class ExprPrinter
{
    private const int Conditional = 1;
    private const int Unary = 14;
    private const int Primary = 15;

    /// <summary>Prints <paramref name="expr"/> (a node held in a temp is replaced before printing: <see cref="Build.Substitute"/>).</summary>
    public static string Print(Expr expr) => Print(expr, 0);

    private static string Print(Expr expr, int context)
    {
        (string text, int precedence) = expr switch
        {
            ConstExpr c => (c.Text, c.Text.StartsWith("-", StringComparison.Ordinal) ? Unary : Primary),
            VarExpr v => (v.Name, Primary),
            ElemExpr e => ($"{e.Array}[{Print(e.Index, 0)}]", Primary),
            LengthExpr l => ($"{l.Array}.Length", Primary),
            OpaqueExpr o => (o.Text, Primary),
            UnaryExpr u => (UnaryText(u.Op) + SeparateSign(Print(u.Operand, Unary)), Unary),
            ConvertExpr c => ($"({TypeClassifier.Keyword(c.Kind)})" + Print(c.Operand, Unary), Unary),
            BinaryExpr b => ($"{Print(b.Left, Precedence(b.Op))} {BinaryText(b.Op)} {Print(b.Right, Precedence(b.Op) + 1)}", Precedence(b.Op)),
            CondExpr c => ($"{Print(c.Condition, Conditional + 1)} ? {Print(c.WhenTrue, Conditional + 1)} : {Print(c.WhenFalse, Conditional)}", Conditional),
            MathCallExpr m => ($"{m.Class}.{m.Function}({string.Join(", ", m.Args.Select(a => Print(a, 0)))})", Primary),
            CallExpr c => ($"{c.Callee.Primal}({string.Join(", ", c.Args.Select(a => Print(a, 0)))})", Primary),
            StopGradientExpr s => (Print(s.Operand, context), Primary),
            TapePopExpr p => ($"{p.Tape}.Pop(){(p.NotNull ? "!" : string.Empty)}", Primary),
            OutExpr o => (o.Declare ? $"out {TypeClassifier.Keyword(o.Kind)} {o.Name}" : "out " + o.Name, Primary),
            SpanExpr s => ($"new global::System.{(s.ReadOnly ? "ReadOnlySpan" : "Span")}<{TypeClassifier.Keyword(s.Kind)}>({s.Buffer}, 0, {Print(s.Length, 0)})", Primary),
            RentExpr r => ($"{MethodContext.Pool}<{TypeClassifier.Keyword(r.Kind)}>.Shared.Rent({Print(r.Length, 0)})", Primary),
            RefExpr r => ("ref " + r.Name, Primary),
            MemberExpr m => ($"{Print(m.Target, Primary)}.{m.Member}", Primary),
            InvokeExpr i => ($"{i.Function}({string.Join(", ", i.Args.Select(a => Print(a, 0)))})", Primary),
            _ => throw new InvalidOperationException("Unknown expression " + expr.GetType().Name),
        };
        return precedence < context ? "(" + text + ")" : text;
    }

    // "- -x" must not print as "--x" (a decrement).
    private static string SeparateSign(string operand) => operand.StartsWith("-", StringComparison.Ordinal) || operand.StartsWith("+", StringComparison.Ordinal) ? "(" + operand + ")" : operand;

    private static string UnaryText(UnaryOp op) => op switch
    {
        UnaryOp.Negate => "-",
        UnaryOp.Plus => "+",
        _ => "!",
    };

    public static string BinaryText(BinaryOp op) => op switch
    {
        BinaryOp.Add => "+",
        BinaryOp.Subtract => "-",
        BinaryOp.Multiply => "*",
        BinaryOp.Divide => "/",
        BinaryOp.Remainder => "%",
        BinaryOp.Less => "<",
        BinaryOp.LessOrEqual => "<=",
        BinaryOp.Greater => ">",
        BinaryOp.GreaterOrEqual => ">=",
        BinaryOp.Equal => "==",
        BinaryOp.NotEqual => "!=",
        BinaryOp.ConditionalAnd => "&&",
        BinaryOp.ConditionalOr => "||",
        BinaryOp.And => "&",
        BinaryOp.Or => "|",
        BinaryOp.LeftShift => "<<",
        BinaryOp.RightShift => ">>",
        _ => "^",
    };

    private static int Precedence(BinaryOp op) => op switch
    {
        BinaryOp.Multiply or BinaryOp.Divide or BinaryOp.Remainder => 13,
        BinaryOp.Add or BinaryOp.Subtract => 12,
        BinaryOp.LeftShift or BinaryOp.RightShift => 11,
        BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual => 10,
        BinaryOp.Equal or BinaryOp.NotEqual => 9,
        BinaryOp.And => 8,
        BinaryOp.Xor => 7,
        BinaryOp.Or => 6,
        BinaryOp.ConditionalAnd => 5,
        _ => 4,
    };
}
