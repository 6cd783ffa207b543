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

    /// <summary>Prints <paramref name="expr"/>; <paramref name="substitute"/> may name a node already held in a temp.</summary>
    public static string Print(Expr expr, Func<Expr, string?>? substitute = null) => Print(expr, 0, substitute);

    private static string Print(Expr expr, int context, Func<Expr, string?>? substitute)
    {
        if (substitute?.Invoke(expr) is { } name)
        {
            return name;
        }

        (string text, int precedence) = expr switch
        {
            ConstExpr c => (c.Text, c.Text.StartsWith("-", StringComparison.Ordinal) ? Unary : Primary),
            VarExpr v => (v.Name, Primary),
            ElemExpr e => ($"{e.Array}[{Print(e.Index, 0, substitute)}]", Primary),
            LengthExpr l => ($"{l.Array}.Length", Primary),
            OpaqueExpr o => (o.Text, Primary),
            UnaryExpr u => (UnaryText(u.Op) + SeparateSign(Print(u.Operand, Unary, substitute)), Unary),
            ConvertExpr c => ($"({TypeClassifier.Keyword(c.Kind)})" + Print(c.Operand, Unary, substitute), Unary),
            BinaryExpr b => ($"{Print(b.Left, Precedence(b.Op), substitute)} {BinaryText(b.Op)} {Print(b.Right, Precedence(b.Op) + 1, substitute)}", Precedence(b.Op)),
            CondExpr c => ($"{Print(c.Condition, Conditional + 1, substitute)} ? {Print(c.WhenTrue, Conditional + 1, substitute)} : {Print(c.WhenFalse, Conditional, substitute)}", Conditional),
            MathCallExpr m => ($"{m.Class}.{m.Function}({string.Join(", ", m.Args.Select(a => Print(a, 0, substitute)))})", Primary),
            CallExpr c => ($"{c.Callee.Primal}({string.Join(", ", c.Args.Select(a => Print(a, 0, substitute)))})", Primary),
            StopGradientExpr s => (Print(s.Operand, context, substitute), Primary),
            TapePopExpr p => ($"{p.Tape}.Pop()", Primary),
            OutExpr o => (o.Declare ? $"out {TypeClassifier.Keyword(o.Kind)} {o.Name}" : "out " + o.Name, Primary),
            SpanExpr s => ($"new global::System.{(s.ReadOnly ? "ReadOnlySpan" : "Span")}<{TypeClassifier.Keyword(s.Kind)}>({s.Buffer}, 0, {Print(s.Length, 0, substitute)})", Primary),
            RentExpr r => ($"{MethodContext.Pool}<{TypeClassifier.Keyword(r.Kind)}>.Shared.Rent({Print(r.Length, 0, substitute)})", Primary),
            RefExpr r => ("ref " + r.Name, Primary),
            MemberExpr m => ($"{Print(m.Target, Primary, substitute)}.{m.Member}", Primary),
            InvokeExpr i => ($"{i.Function}({string.Join(", ", i.Args.Select(a => Print(a, 0, substitute)))})", Primary),
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
        _ => "^",
    };

    private static int Precedence(BinaryOp op) => op switch
    {
        BinaryOp.Multiply or BinaryOp.Divide or BinaryOp.Remainder => 13,
        BinaryOp.Add or BinaryOp.Subtract => 12,
        BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual => 10,
        BinaryOp.Equal or BinaryOp.NotEqual => 9,
        BinaryOp.And => 8,
        BinaryOp.Xor => 7,
        BinaryOp.Or => 6,
        BinaryOp.ConditionalAnd => 5,
        _ => 4,
    };

    /// <summary>True for text that needs no parentheses as an operand: identifiers, member accesses, calls, element reads, literals.</summary>
    public static bool IsAtomic(string text)
    {
        if (text.Length == 0)
        {
            return true;
        }

        int depth = 0;
        foreach (char c in text)
        {
            if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
            else if (depth == 0 && !(char.IsLetterOrDigit(c) || c is '_' or '.' or ':'))
            {
                return false;
            }
        }

        // "(a + b)" is atomic only if the outer parentheses enclose everything; "f(x)" and "a[i]" are.
        return text[0] != '(' || MatchingClose(text) == text.Length - 1;
    }

    private static int MatchingClose(string text)
    {
        int depth = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Wraps <paramref name="text"/> in parentheses unless it is atomic.</summary>
    public static string Paren(string text) => IsAtomic(text) ? text : "(" + text + ")";
}
