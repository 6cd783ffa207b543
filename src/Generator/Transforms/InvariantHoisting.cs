using System;
using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Transforms;

/// <summary>
/// Loop-invariant code motion into an array. In
/// <code>
/// for (i ...) { ...; for (c = 0; c &lt; K; c++) { ... Exp(s[c]) ... } ... }
/// </code>
/// an expensive value that depends only on the inner counter and on what the outer loop never writes is the same at
/// every outer iteration: it is computed once per c before the outer loop, <c>h[c] = Exp(s[c])</c>, and read from
/// there (the same array serves every inner loop of the outer one that computes it over the same range). The reverse
/// sweep then stores and differentiates it once per c instead of once per (i, c): the adjoints of its uses add up in
/// <c>h</c>'s adjoint before one pass takes them through <c>Exp</c>.
/// </summary>
/// <remarks>
/// It computes nothing the method would not. The values go before the outer loop, under that loop's own entry test,
/// and the inner loop is a statement of the outer loop's body (not inside a branch), so when the outer loop runs at
/// all, the method computes every hoisted value at least once. The hoisted expressions are built from elements,
/// variables, sums, differences, products, negation and entire functions (<c>Exp</c>, <c>Sin</c>, <c>Cos</c>,
/// <c>Tanh</c>, <c>Sinh</c>, <c>Cosh</c>, <c>Atan</c>), and stand at the top level of the inner loop's statements:
/// so a value that was computed is computed again with the same inputs, and no derivative of a value the method did
/// not use (an infinite one times a zero adjoint) enters the gradient.
/// </remarks>
internal static class InvariantHoisting
{
    private static readonly HashSet<string> Entire = new() { "Exp", "Sin", "Cos", "Tanh", "Sinh", "Cosh", "Atan" };

    /// <param name="newScalar">Declares a synthetic scalar local of the kind with a fresh name from the stem.</param>
    /// <param name="newArray">Declares a local array of the kind with a fresh name from the stem.</param>
    public static List<Stmt> Hoist(IEnumerable<Stmt> statements, Func<string, ScalarKind, string> newScalar, Func<string, ScalarKind, string> newArray)
    {
        var output = new List<Stmt>();
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case IfStmt branch:
                    output.Add(branch with { Then = Hoist(branch.Then, newScalar, newArray).ToEquatableArray(), Else = Hoist(branch.Else, newScalar, newArray).ToEquatableArray() });
                    break;
                case LoopStmt loop:
                    // Inner loops first: a value hoisted out of an inner loop may be hoisted again out of this one.
                    LoopStmt inner = loop with { Body = Hoist(loop.Body, newScalar, newArray).ToEquatableArray() };
                    output.AddRange(HoistOutOf(inner, newScalar, newArray));
                    break;
                default:
                    output.Add(statement);
                    break;
            }
        }

        return output;
    }

    /// <summary>The statements that replace <paramref name="outer"/>: the hoisted values' loops, then the loop reading them.</summary>
    private static IEnumerable<Stmt> HoistOutOf(LoopStmt outer, Func<string, ScalarKind, string> newScalar, Func<string, ScalarKind, string> newArray)
    {
        if (outer.TestAtEnd || !ExprFacts.IsPure(outer.Condition))
        {
            return new[] { outer };
        }

        var written = new HashSet<string>();
        ExprFacts.CollectWrites(outer.Body.Concat(outer.Step), written);
        var hoisted = new List<(Expr Canonical, Expr Bound, string Array)>();
        var before = new List<Stmt>();

        // The outer loop's entry test, taken once into a flag of its own: the reverse sweep replays the branches on it,
        // where the test itself would read the loop's counter after the loop.
        string? entered = null;
        var body = outer.Body.ToList();
        for (int q = 1; q < body.Count; q++)
        {
            if (body[q] is not LoopStmt inner || ExprFacts.CountedLoop(inner, body[q - 1]) is not { Start: ConstExpr { Text: "0" }, Bound: { } bound } counted
                || !ExprFacts.IsPure(bound) || ExprFacts.Reads(bound).Any(written.Contains))
            {
                continue;
            }

            string counter = counted.Counter, comment = body[q - 1].Comment;

            bool Invariant(Expr e) => ExprFacts.Reads(e).All(name => name == counter || !written.Contains(name));
            Expr? Replace(Expr e)
            {
                if (!IsCandidate(e, counter) || !Invariant(e))
                {
                    return null;
                }

                Expr canonical = Rename(e, counter, "\0counter");
                int found = hoisted.FindIndex(h => h.Canonical == canonical && h.Bound == bound);
                string array;
                if (found >= 0)
                {
                    array = hoisted[found].Array;
                }
                else
                {
                    array = newArray("__hoisted", e.Kind);
                    hoisted.Add((canonical, bound, array));
                    string k = newScalar("__h", ScalarKind.Int);
                    var fill = new AssignStmt(comment, array, Build.Var(ScalarKind.Int, k), Rename(e, counter, k), IsDeclaration: false);
                    before.Add(new ArrayDeclStmt(comment, array, Build.AtLeastZero(bound)));
                    if (entered is null)
                    {
                        entered = newScalar("__enters", ScalarKind.Bool);
                        before.Insert(0, new AssignStmt(comment, entered, null, outer.Condition, IsDeclaration: true));
                    }

                    before.Add(new IfStmt(comment, Build.Var(ScalarKind.Bool, entered), Build.CountedLoop(comment, k, bound, new[] { fill }).ToEquatableArray(), EquatableArray<Stmt>.Empty));
                }

                return new ElemExpr(e.Kind, array, Build.Var(ScalarKind.Int, counter));
            }

            var innerBody = inner.Body.Select(s => s is AssignStmt a ? a with { Value = Build.Substitute(a.Value, Replace) } : s).ToList();
            body[q] = inner with { Body = innerBody.ToEquatableArray() };
        }

        if (before.Count == 0)
        {
            return new[] { outer };
        }

        before.Add(outer with { Body = body.ToEquatableArray() });
        return before;
    }

    /// <summary>A floating expression worth an array: it reads the counter, calls an entire function, and is made only of the safe parts.</summary>
    private static bool IsCandidate(Expr e, string counter)
        => e.Kind is ScalarKind.Double or ScalarKind.Float && e is MathCallExpr or BinaryExpr or UnaryExpr
           && ContainsEntireCall(e) && ExprFacts.Reads(e).Contains(counter) && IsSafe(e);

    private static bool ContainsEntireCall(Expr e)
        => (e is MathCallExpr call && ExprFacts.IsExpensive(call) && Entire.Contains(call.Function)) || ExprFacts.Children(e).Any(ContainsEntireCall);

    private static bool IsSafe(Expr e) => e switch
    {
        ConstExpr or VarExpr => true,
        ElemExpr elem => IsIndex(elem.Index),
        UnaryExpr { Op: UnaryOp.Negate or UnaryOp.Plus } u => IsSafe(u.Operand),
        BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply } b when b.Kind is ScalarKind.Double or ScalarKind.Float => IsSafe(b.Left) && IsSafe(b.Right),
        MathCallExpr call => ExprFacts.IsExpensive(call) && Entire.Contains(call.Function) && call.Args.Count == 1 && IsSafe(call.Args[0]),
        _ => false,
    };

    /// <summary>An integer index of variables, constants, sums, differences and products (an element's position, never a value of its own).</summary>
    private static bool IsIndex(Expr e) => e switch
    {
        ConstExpr { Kind: ScalarKind.Int } or VarExpr { Kind: ScalarKind.Int } => true,
        BinaryExpr { Kind: ScalarKind.Int, Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply } b => IsIndex(b.Left) && IsIndex(b.Right),
        _ => false,
    };

    private static Expr Rename(Expr e, string from, string to)
        => Build.Substitute(e, x => x is VarExpr v && v.Name == from ? v with { Name = to } : null);
}
