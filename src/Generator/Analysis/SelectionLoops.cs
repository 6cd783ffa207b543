using System.Collections.Generic;
using System.Linq;
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
/// went before. Keep-or-replace statements <c>t = c ? t : e</c> right before it, whose <c>c</c> is that same test, are
/// picked at the same iterations (the tangent of a running minimum in second-order code), and then <c>best</c> itself
/// need not be active.
/// </summary>
internal sealed class SelectionLoops
{
    private readonly Dictionary<LoopStmt, SelectionLoop> _loops = new(ReferenceComparer<LoopStmt>.Instance);
    private readonly Dictionary<AssignStmt, Expr> _statements = new(ReferenceComparer<AssignStmt>.Instance);
    private readonly HashSet<AssignStmt> _locals = new(ReferenceComparer<AssignStmt>.Instance);

    public static SelectionLoops Run(DifferentiableMethod method, ActivityAnalysis activity, Recomputation recomputation, ReverseNeeds needs)
    {
        var result = new SelectionLoops();
        foreach ((Stmt statement, _) in ExprFacts.Flatten(method.Body))
        {
            if (statement is LoopStmt loop && needs.CounterOf(loop) is { } counter && Find(loop, counter, activity, recomputation) is { } selection)
            {
                result._loops[loop] = selection;
                foreach ((AssignStmt picked, Expr candidate) in selection.Selected)
                {
                    result._statements[picked] = candidate;
                }

                result._locals.UnionWith(selection.Locals);
            }
        }

        return result;
    }

    /// <summary>The selection of this loop, or null when it is not a selection loop.</summary>
    public SelectionLoop? Of(LoopStmt loop) => _loops.TryGetValue(loop, out SelectionLoop? selection) ? selection : null;

    /// <summary>Whether this assignment is the running minimum or maximum of a selection loop.</summary>
    public bool IsSelection(AssignStmt assign) => _statements.ContainsKey(assign);

    /// <summary>The candidate of a selection statement (see <see cref="IsSelection"/>).</summary>
    public Expr CandidateOf(AssignStmt assign) => _statements[assign];

    /// <summary>Whether this assignment is an iteration local of a selection loop (recomputed once, at the picked iteration).</summary>
    public bool IsSelectionLocal(AssignStmt assign) => _locals.Contains(assign);

    private static SelectionLoop? Find(LoopStmt loop, LoopCounter counter, ActivityAnalysis activity, Recomputation recomputation)
    {
        int count = loop.Body.Count;
        if (count == 0 || loop.Body[count - 1] is not AssignStmt { Index: null, Value: MathCallExpr { Function: "Min" or "Max", Args.Count: 2 } call } final
            || call.Args[0] is not VarExpr { Name: var best } || best != final.Target || ExprFacts.Reads(call.Args[1]).Contains(best))
        {
            return null;
        }

        // Keep-or-replace statements t = c ? t : e right before it, c the running minimum's own test of the same
        // candidate (the tangents of a running minimum in second-order code): picked at the same iterations.
        var rule = new DerivativeRules.Context(2, i => i == 0 ? call.Args[0] : call.Args[1], () => call.Args[0], call.Class, call.Kind);
        Expr keep = DerivativeRules.Selection(call.Function, rule)![0].Condition!;
        var selected = new List<(AssignStmt Statement, Expr Candidate)>();
        int first = count - 1;
        while (first > 0 && loop.Body[first - 1] is AssignStmt { Index: null, Value: CondExpr { WhenTrue: VarExpr { Name: var kept } } choice } replace
            && kept == replace.Target && choice.Condition.Equals(keep) && activity.IsActive(replace.Target))
        {
            first--;
            selected.Insert(0, (replace, choice.WhenFalse));
        }

        bool bestActive = activity.IsActive(best);
        if (bestActive)
        {
            selected.Add((final, call.Args[1]));
        }

        if (selected.Count == 0)
        {
            return null;
        }

        var targets = new HashSet<string>(selected.Select(c => c.Statement.Target)) { best };
        if (selected.Any(c => ExprFacts.Reads(c.Candidate).Overlaps(targets)))
        {
            return null;
        }

        var locals = new List<AssignStmt>();
        for (int i = 0; i < first; i++)
        {
            if (loop.Body[i] is not AssignStmt local || !recomputation.IsRecomputable(local) || ExprFacts.Reads(local.Value).Overlaps(targets))
            {
                return null;
            }

            locals.Add(local);
        }

        return new SelectionLoop(selected, final, call, locals, counter);
    }
}

/// <summary>A selection loop (see <see cref="SelectionLoops"/>).</summary>
/// <param name="Selected">The active statements picked at the same iterations, in order, each with its candidate: the
/// keep-or-replace statements <c>t = c ? t : e</c>, then <c>best = Math.Min(best, e)</c> when <c>best</c> is active.</param>
/// <param name="Final">The last statement of the body, <c>best = Math.Min(best, e)</c> or <c>Math.Max</c>.</param>
/// <param name="Call">Its <c>Math.Min</c> or <c>Math.Max</c>.</param>
/// <param name="Locals">The iteration locals before them, in order.</param>
/// <param name="Counter">The loop's counter.</param>
internal sealed record SelectionLoop(List<(AssignStmt Statement, Expr Candidate)> Selected, AssignStmt Final, MathCallExpr Call, List<AssignStmt> Locals, LoopCounter Counter);
