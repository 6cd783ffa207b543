using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Transforms;

/// <summary>
/// <c>x = c ? a : b</c> and <c>return c ? a : b</c> become <c>if (c) x = a; else x = b;</c> (and two returns) when a
/// branch calls a <c>[Differentiable]</c> method. Inside a <c>?:</c> the forward mode can only read a call's
/// tangent inline (<c>RJvp(...).Tangent</c>) and must evaluate the primal call again for its value, so a recursive
/// <c>n == 0 ? x : f(R(x, n - 1))</c> cost more than linear time per level; as statements each branch calls the JVP
/// once and takes both its value and its tangent. The rewrite is exact: the same condition picks the same branch,
/// and nothing else is reordered.
/// </summary>
internal static class ConditionalCallLifting
{
    public static List<Stmt> Lift(IEnumerable<Stmt> statements) => statements.SelectMany(LiftOne).ToList();

    private static IEnumerable<Stmt> LiftOne(Stmt statement)
    {
        switch (statement)
        {
            case AssignStmt { Index: null, Value: CondExpr cond } assign when HasCallInBranch(cond):
                return new[] { Split(assign.Comment, cond, value => assign with { Value = value }) };
            case ReturnStmt { Value: CondExpr cond } ret when HasCallInBranch(cond):
                return new[] { Split(ret.Comment, cond, value => ret with { Value = value }) };
            case IfStmt branch:
                return new[] { branch with { Then = Lift(branch.Then).ToEquatableArray(), Else = Lift(branch.Else).ToEquatableArray() } };
            case LoopStmt loop:
                return new[] { loop with { Body = Lift(loop.Body).ToEquatableArray(), Step = Lift(loop.Step).ToEquatableArray() } };
            default:
                return new[] { statement };
        }
    }

    private static Stmt Split(string comment, CondExpr cond, System.Func<Expr, Stmt> with)
    {
        Stmt Branch(Expr value) => value is CondExpr inner && HasCallInBranch(inner) ? Split(comment, inner, with) : with(value);
        return new IfStmt(comment, cond.Condition, new[] { Branch(cond.WhenTrue) }.ToEquatableArray(), new[] { Branch(cond.WhenFalse) }.ToEquatableArray());
    }

    private static bool HasCallInBranch(CondExpr cond) => ExprFacts.ContainsCall(cond.WhenTrue) || ExprFacts.ContainsCall(cond.WhenFalse);
}
