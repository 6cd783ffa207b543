using System.Collections.Generic;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// Selection loops: a counted loop whose body computes iteration locals and then keeps a running minimum or maximum,
/// <c>best = Math.Min(best, e)</c> (or <c>Math.Max</c>), and nothing else. The final <c>best</c> is the <c>e</c> of the
/// last iteration that the rule picked (or <c>best</c>'s value before the loop when none did), so the whole adjoint
/// of <c>best</c> goes to that one iteration's <c>e</c>: the forward sweep records that iteration's counter, once per
/// run of the loop, and the reverse sweep recomputes that iteration's locals and differentiates <c>e</c> there,
/// instead of saving <c>best</c> at every step and replaying every iteration (the nearest-centre cost's inner loop).
/// "Picked" is the derivative rule's own test (<see cref="DerivativeRules.Selection"/>), so ties and NaN go where they
/// went before.
/// </summary>
internal sealed class SelectionLoops
{
    private readonly Dictionary<LoopStmt, SelectionLoop> _loops = new(ReferenceComparer<LoopStmt>.Instance);
    private readonly HashSet<AssignStmt> _statements = new(ReferenceComparer<AssignStmt>.Instance);
    private readonly HashSet<AssignStmt> _locals = new(ReferenceComparer<AssignStmt>.Instance);

    public static SelectionLoops Run(DifferentiableMethod method, ActivityAnalysis activity, Recomputation recomputation, ReverseNeeds needs)
    {
        var result = new SelectionLoops();
        foreach ((Stmt statement, _) in ExprFacts.Flatten(method.Body))
        {
            if (statement is LoopStmt loop && needs.CounterOf(loop) is { } counter && Find(loop, counter, activity, recomputation) is { } selection)
            {
                result._loops[loop] = selection;
                result._statements.Add(selection.Statement);
                result._locals.UnionWith(selection.Locals);
            }
        }

        return result;
    }

    /// <summary>The selection of this loop, or null when it is not a selection loop.</summary>
    public SelectionLoop? Of(LoopStmt loop) => _loops.TryGetValue(loop, out SelectionLoop? selection) ? selection : null;

    /// <summary>Whether this assignment is the running minimum or maximum of a selection loop.</summary>
    public bool IsSelection(AssignStmt assign) => _statements.Contains(assign);

    /// <summary>Whether this assignment is an iteration local of a selection loop (recomputed once, at the picked iteration).</summary>
    public bool IsSelectionLocal(AssignStmt assign) => _locals.Contains(assign);

    private static SelectionLoop? Find(LoopStmt loop, LoopCounter counter, ActivityAnalysis activity, Recomputation recomputation)
    {
        if (loop.Body.Count == 0 || loop.Body[loop.Body.Count - 1] is not AssignStmt { Index: null, Value: MathCallExpr { Function: "Min" or "Max", Args.Count: 2 } call } statement
            || call.Args[0] is not VarExpr { Name: var best } || best != statement.Target || !activity.IsActive(statement.Target)
            || ExprFacts.Reads(call.Args[1]).Contains(best))
        {
            return null;
        }

        var locals = new List<AssignStmt>();
        for (int i = 0; i < loop.Body.Count - 1; i++)
        {
            if (loop.Body[i] is not AssignStmt local || !recomputation.IsRecomputable(local) || ExprFacts.Reads(local.Value).Contains(best))
            {
                return null;
            }

            locals.Add(local);
        }

        return new SelectionLoop(statement, call, call.Args[1], locals, counter);
    }
}

/// <summary>A selection loop (see <see cref="SelectionLoops"/>).</summary>
/// <param name="Statement">The last statement of the body, <c>best = Math.Min(best, e)</c> or <c>Math.Max</c>.</param>
/// <param name="Call">Its <c>Math.Min</c> or <c>Math.Max</c>.</param>
/// <param name="Candidate">The candidate <c>e</c>.</param>
/// <param name="Locals">The iteration locals before it, in order.</param>
/// <param name="Counter">The loop's counter.</param>
internal sealed record SelectionLoop(AssignStmt Statement, MathCallExpr Call, Expr Candidate, List<AssignStmt> Locals, LoopCounter Counter);
