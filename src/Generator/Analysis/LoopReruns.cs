using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// Loops whose reverse sweep runs them again forwards, from the state they started in, with each iteration's reverse
/// right after it, instead of replaying them backwards from values saved on the tape every iteration. That gives the
/// same adjoints when the iterations' contributions commute, which holds when every active variable the loop writes
/// either lives in one iteration (declared in the body) or only accumulates (<c>s = s ± e</c>, read nowhere else in
/// the loop, so its adjoint passes through unchanged), and the loop writes no array element: the reverse of an
/// iteration then reads adjoints no other iteration's reverse writes, and adds to adjoints none of them reads. The
/// loop's values are recomputed, not stored: chosen only for a loop with no nested loop and no expensive call
/// (recompute-or-store), and only where the backward replay would save a value every iteration (a running product
/// <c>mul *= t</c>). The reverse needs the values the loop overwrote at its start: they are kept once per run of the
/// loop (<see cref="Written"/>).
/// </summary>
internal sealed class LoopReruns
{
    private readonly HashSet<LoopStmt> _loops = new(ReferenceComparer<LoopStmt>.Instance);

    public bool Contains(LoopStmt loop) => _loops.Contains(loop);

    public bool IsEmpty => _loops.Count == 0;

    public static LoopReruns Run(DifferentiableMethod method, ActivityAnalysis activity, Recomputation recomputation, ReverseNeeds needs)
    {
        var result = new LoopReruns();
        foreach ((Stmt statement, _) in ExprFacts.Flatten(method.Body))
        {
            if (statement is LoopStmt loop && needs.Selections.Of(loop) is null && IsRerunnable(loop, activity) && SavesEveryIteration(loop, recomputation, needs))
            {
                result._loops.Add(loop);
            }
        }

        return result;
    }

    /// <summary>The scalar variables the loop writes (its body and step), in the order of their first write.</summary>
    public static IReadOnlyList<string> Written(LoopStmt loop)
        => ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Select(s => s.Statement).OfType<AssignStmt>().Select(a => a.Target).Distinct().ToList();

    /// <summary>Every variable and array the loop reads: its condition, and the values, indices and conditions in its body and step.</summary>
    public static HashSet<string> Reads(LoopStmt loop)
    {
        HashSet<string> reads = ExprFacts.Reads(loop.Condition);
        foreach ((Stmt statement, _) in ExprFacts.Flatten(loop.Body.Concat(loop.Step)))
        {
            switch (statement)
            {
                case AssignStmt a:
                    ExprFacts.CollectReads(a.Value, reads);
                    if (a.Index is not null)
                    {
                        ExprFacts.CollectReads(a.Index, reads);
                    }

                    break;
                case IfStmt i:
                    ExprFacts.CollectReads(i.Condition, reads);
                    break;
            }
        }

        return reads;
    }

    private static bool IsRerunnable(LoopStmt loop, ActivityAnalysis activity)
    {
        List<Stmt> statements = ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Select(s => s.Statement).ToList();
        return !statements.Any(s => s is LoopStmt)
            && !ExprFacts.ContainsExpensiveCall(loop.Condition)
            && !statements.Any(s => s is AssignStmt a ? ExprFacts.ContainsExpensiveCall(a.Value) : s is IfStmt i && ExprFacts.ContainsExpensiveCall(i.Condition))
            && Commutes(loop, activity);
    }

    /// <summary>
    /// Whether the reverse of each iteration of the loop may run right after its forward part: every active variable the
    /// loop writes (nested loops included) is declared in its body or only accumulates (<c>s = s ± e</c>, read nowhere
    /// else in the loop, not in its condition), and it writes no array element. Then no iteration's reverse reads an
    /// adjoint another iteration's reverse writes.
    /// </summary>
    public static bool Commutes(LoopStmt loop, ActivityAnalysis activity)
    {
        List<Stmt> statements = ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Select(s => s.Statement).ToList();
        if (statements.Any(s => s is ArrayDeclStmt || s is AssignStmt { Index: not null }))
        {
            return false;
        }

        HashSet<string> declared = Declared(loop);
        foreach (string variable in Written(loop).Where(activity.IsActive).Where(v => !declared.Contains(v)))
        {
            // An accumulator: every write is s = s ± e (e not reading s), and nothing else in the loop reads s.
            if (ExprFacts.Reads(loop.Condition).Contains(variable))
            {
                return false;
            }

            foreach (Stmt statement in statements)
            {
                bool reads = statement switch
                {
                    AssignStmt a when a.Target == variable => ExprFacts.AccumulatedTerm(a) is null,
                    AssignStmt a => ExprFacts.Reads(a.Value).Contains(variable),
                    IfStmt i => ExprFacts.Reads(i.Condition).Contains(variable),
                    LoopStmt l => ExprFacts.Reads(l.Condition).Contains(variable),
                    _ => true,
                };
                if (reads)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The variables declared inside the loop's body (at any depth): each iteration starts them afresh.</summary>
    public static HashSet<string> Declared(LoopStmt loop)
        => new(ExprFacts.Flatten(loop.Body).Select(s => s.Statement).OfType<AssignStmt>().Where(a => a.IsDeclaration).Select(a => a.Target));

    /// <summary>Whether replaying the loop backwards would save a value on the tape every iteration.</summary>
    private static bool SavesEveryIteration(LoopStmt loop, Recomputation recomputation, ReverseNeeds needs)
        => ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Select(s => s.Statement).OfType<AssignStmt>()
            .Any(a => needs.NeedsRestoreAt(a) && !ExprFacts.IsInvertibleIncrement(a, out _, out _) && !recomputation.IsRecomputedInReverse(a));
}
