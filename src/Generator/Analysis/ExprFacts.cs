using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>Small queries over IR expressions and statements.</summary>
internal static class ExprFacts
{
    /// <summary>Children of an expression node, in evaluation order.</summary>
    public static IEnumerable<Expr> Children(Expr expr) => expr switch
    {
        ElemExpr e => new[] { e.Index },
        UnaryExpr u => new[] { u.Operand },
        BinaryExpr b => new[] { b.Left, b.Right },
        CondExpr c => new[] { c.Condition, c.WhenTrue, c.WhenFalse },
        ConvertExpr c => new[] { c.Operand },
        MathCallExpr m => m.Args,
        CallExpr c => c.Args,
        StopGradientExpr s => new[] { s.Operand },
        InvokeExpr i => i.Args,
        MemberExpr m => new[] { m.Target },
        SpanExpr s => new[] { s.Length },
        RentExpr r => new[] { r.Length },
        _ => Enumerable.Empty<Expr>(),
    };

    /// <summary>
    /// No call of a user method and no static property read (either may have side effects or change between two
    /// evaluations, and a call inside <c>Ad.StopGradient</c> may be any static method); <c>Math</c> calls are pure. Such an expression may be evaluated twice, or once for two uses.
    /// </summary>
    public static bool IsPure(Expr expr) => expr is not (CallExpr or OpaqueExpr)
        && (expr is not MathCallExpr call || call.Class is "global::System.Math" or "global::System.MathF" or "global::System.Double" or "global::System.Single")
        && Children(expr).All(IsPure);

    /// <summary>Whether the expression calls a differentiable (user) method anywhere inside.</summary>
    public static bool ContainsCall(Expr expr) => expr is CallExpr || Children(expr).Any(ContainsCall);

    /// <summary>
    /// A Math function that costs tens of cycles where a push and a pop cost a few (Exp, Log, Pow, the trigonometric
    /// and hyperbolic functions): the recompute-or-store rule stores such a value once rather than computing it again.
    /// </summary>
    public static bool IsExpensive(MathCallExpr call)
        => call.Class is "global::System.Math" or "global::System.MathF" && Transcendental.Contains(call.Function);

    /// <summary>Whether the expression calls a user function or an expensive Math function (<see cref="IsExpensive"/>).</summary>
    public static bool ContainsExpensiveCall(Expr expr)
        => expr is CallExpr || (expr is MathCallExpr call && IsExpensive(call)) || Children(expr).Any(ContainsExpensiveCall);

    private static readonly HashSet<string> Transcendental = new()
    {
        "Exp", "Log", "Log2", "Log10", "Pow", "Sin", "Cos", "Tan", "Sinh", "Cosh", "Tanh", "Asin", "Acos", "Atan", "Atan2", "Cbrt",
    };

    /// <summary>How many assignments each variable or array has in the statements (element writes count for the array).</summary>
    public static Dictionary<string, int> AssignmentCounts(IEnumerable<Stmt> statements)
        => Flatten(statements).Select(s => s.Statement).OfType<AssignStmt>().GroupBy(a => a.Target).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Every variable or array whose value the expression reads.</summary>
    public static void CollectReads(Expr expr, ISet<string> reads)
    {
        switch (expr)
        {
            case VarExpr v:
                reads.Add(v.Name);
                break;
            case ElemExpr e:
                reads.Add(e.Array);
                break;
            case LengthExpr l:
                reads.Add(l.Array);
                return;
            case SpanExpr s:
                reads.Add(s.Buffer);
                break;
            case TapePopExpr p:
                reads.Add(p.Tape);
                break;
            case RefExpr r:
                reads.Add(r.Name);
                break;
        }

        foreach (Expr child in Children(expr))
        {
            CollectReads(child, reads);
        }
    }

    /// <summary>
    /// The variables and arrays whose values the expression's value depends on differentiably: its reads, except those only
    /// in a condition, a comparison, an index, an integer or a stopped gradient (piecewise constant in them).
    /// </summary>
    public static void CollectDifferentiableReads(Expr expr, ISet<string> reads)
    {
        if (expr.Kind is not (ScalarKind.Double or ScalarKind.Float))
        {
            return;
        }

        switch (expr)
        {
            case VarExpr v:
                reads.Add(v.Name);
                return;
            case ElemExpr e:
                reads.Add(e.Array);
                return;
            case StopGradientExpr:
                return;
            case CondExpr c:
                CollectDifferentiableReads(c.WhenTrue, reads);
                CollectDifferentiableReads(c.WhenFalse, reads);
                return;
            case CallExpr call:
                // An array argument is passed by name, as a variable of its element type.
                foreach (Expr arg in call.Args)
                {
                    CollectDifferentiableReads(arg, reads);
                }

                return;
        }

        foreach (Expr child in Children(expr))
        {
            CollectDifferentiableReads(child, reads);
        }
    }

    public static HashSet<string> Reads(Expr expr)
    {
        var reads = new HashSet<string>();
        CollectReads(expr, reads);
        return reads;
    }

    /// <summary>Variables and arrays written anywhere in the statements (arrays by element writes and creation).</summary>
    public static void CollectWrites(IEnumerable<Stmt> statements, ISet<string> writes)
    {
        foreach ((Stmt statement, _) in Flatten(statements))
        {
            switch (statement)
            {
                case AssignStmt a:
                    writes.Add(a.Target);
                    break;
                case ArrayDeclStmt d:
                    writes.Add(d.Name);
                    break;
            }
        }
    }

    /// <summary>Every statement, those inside branches and loops included, in order, with its loop depth (0 outside loops).</summary>
    public static IEnumerable<(Stmt Statement, int Depth)> Flatten(IEnumerable<Stmt> statements, int depth = 0)
    {
        foreach (Stmt statement in statements)
        {
            yield return (statement, depth);
            IEnumerable<(Stmt, int)> inner = statement switch
            {
                IfStmt s => Flatten(s.Then, depth).Concat(Flatten(s.Else, depth)),
                LoopStmt l => Flatten(l.Body, depth + 1).Concat(Flatten(l.Step, depth + 1)),
                _ => System.Array.Empty<(Stmt, int)>(),
            };
            foreach ((Stmt, int) nested in inner)
            {
                yield return nested;
            }
        }
    }

    /// <summary>
    /// A counted loop: <c>k = start</c> just before it (<paramref name="before"/>), a whole step <c>k = k + 1</c> on an
    /// int, a test at the top, and a body that does not write k. The bound is that of a condition <c>k &lt; bound</c>,
    /// else null. Null when the loop is not one.
    /// </summary>
    public static (string Counter, Expr Start, Expr? Bound, AssignStmt Step)? CountedLoop(LoopStmt loop, Stmt? before)
    {
        if (loop.TestAtEnd || loop.Step.Count != 1 || loop.Step[0] is not AssignStmt step
            || !IsInvertibleIncrement(step, out BinaryOp inverse, out Expr? amount) || inverse != BinaryOp.Subtract || amount is not ConstExpr { Text: "1" }
            || before is not AssignStmt { Index: null } init || init.Target != step.Target)
        {
            return null;
        }

        var bodyWrites = new HashSet<string>();
        CollectWrites(loop.Body, bodyWrites);
        if (bodyWrites.Contains(step.Target))
        {
            return null;
        }

        Expr? bound = loop.Condition is BinaryExpr { Op: BinaryOp.Less, Left: VarExpr counter, Right: var limit } && counter.Name == step.Target ? limit : null;
        return (step.Target, init.Value, bound, step);
    }

    /// <summary>The counter of a loop whose whole step is <c>i = i + 1</c>, else null.</summary>
    public static string? UnitStepCounter(LoopStmt loop)
        => loop.Step.Count == 1 && loop.Step[0] is AssignStmt { Index: null, Value: BinaryExpr { Op: BinaryOp.Add, Left: VarExpr read, Right: ConstExpr { Text: "1" } } } step
            && read.Name == step.Target
            ? step.Target
            : null;

    /// <summary>The <c>e</c> of <c>s = s + e</c> or <c>s = s - e</c> (a plain variable target) when <c>e</c> does not read <c>s</c>, else null.</summary>
    public static Expr? AccumulatedTerm(AssignStmt assign)
        => assign is { Index: null, Value: BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract, Left: VarExpr left, Right: var right } }
            && left.Name == assign.Target && !Reads(right).Contains(assign.Target) ? right : null;

    /// <summary>
    /// <c>i = i ± c</c> on an integer: the reverse sweep undoes it with <c>i = i ∓ c</c> instead of saving the
    /// old value (loop counters cost nothing on the tape).
    /// </summary>
    public static bool IsInvertibleIncrement(AssignStmt assign, out BinaryOp inverse, out Expr? amount)
    {
        inverse = default;
        amount = null;
        if (assign.Index is null && assign.Value is BinaryExpr { Kind: ScalarKind.Int or ScalarKind.Long, Op: BinaryOp.Add or BinaryOp.Subtract } b
            && b.Left is VarExpr v && v.Name == assign.Target && b.Right is ConstExpr c)
        {
            inverse = b.Op == BinaryOp.Add ? BinaryOp.Subtract : BinaryOp.Add;
            amount = c;
            return true;
        }

        return false;
    }
}
