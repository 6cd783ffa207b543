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
    private readonly HashSet<LoopStmt> _checkpointed = new(ReferenceComparer<LoopStmt>.Instance);

    public bool Contains(LoopStmt loop) => _loops.Contains(loop);

    /// <summary>
    /// Loops replayed backwards from a checkpoint per iteration: the forward sweep keeps only the variables an iteration
    /// carries to the next (not every value it overwrites), and the reverse of each iteration runs its body again from
    /// them, each statement's reverse after it. Chosen for a counted loop with no nested loop and no expensive call
    /// whose backward replay would save more values per iteration than it carries (an ODE step: four stages, one state).
    /// </summary>
    public bool IsCheckpointed(LoopStmt loop) => _checkpointed.Contains(loop);

    /// <summary>Whether the reverse sweep runs the loop's primal again (so it reads, where the loop stands, what the loop reads).</summary>
    public bool RunsAgain(LoopStmt loop) => _loops.Contains(loop) || _checkpointed.Contains(loop);

    public bool IsEmpty => _loops.Count == 0 && _checkpointed.Count == 0;

    /// <summary>The variables the loop's body writes that live from one iteration to the next (not declared in the body).</summary>
    public static IReadOnlyList<string> Carried(LoopStmt loop)
    {
        HashSet<string> declared = Declared(loop);
        return ExprFacts.Flatten(loop.Body).Select(s => s.Statement).OfType<AssignStmt>().Select(a => a.Target).Where(v => !declared.Contains(v)).Distinct().ToList();
    }

    public static LoopReruns Run(DifferentiableMethod method, ActivityAnalysis activity, Recomputation recomputation, ReverseNeeds needs)
    {
        var result = new LoopReruns();
        foreach ((Stmt statement, _) in ExprFacts.Flatten(method.Body))
        {
            if (statement is not LoopStmt loop || needs.Selections.Of(loop) is not null || !IsCheap(loop))
            {
                continue;
            }

            int saves = SavesPerIteration(loop, recomputation, needs);
            if (Commutes(loop, activity) && saves > 0)
            {
                result._loops.Add(loop);
            }
            else if (needs.CounterOf(loop) is { } counter && loop.Step.Count == 1 && ReferenceEquals(loop.Step[0], counter.Step)
                && saves > Carried(loop).Count)
            {
                result._checkpointed.Add(loop);
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

    /// <summary>No nested loop, no array declared or element written, and no expensive call: running the loop again costs little.</summary>
    private static bool IsCheap(LoopStmt loop)
    {
        List<Stmt> statements = ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Select(s => s.Statement).ToList();
        return !statements.Any(s => s is LoopStmt or ArrayDeclStmt || s is AssignStmt { Index: not null })
            && !ExprFacts.ContainsExpensiveCall(loop.Condition)
            && !statements.Any(s => s is AssignStmt a ? ExprFacts.ContainsExpensiveCall(a.Value) : s is IfStmt i && ExprFacts.ContainsExpensiveCall(i.Condition));
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

    /// <summary>How many values replaying the loop backwards would save on the tape every iteration.</summary>
    private static int SavesPerIteration(LoopStmt loop, Recomputation recomputation, ReverseNeeds needs)
        => ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Select(s => s.Statement).OfType<AssignStmt>()
            .Count(a => needs.NeedsRestoreAt(a) && !ExprFacts.IsInvertibleIncrement(a, out _, out _) && !recomputation.IsRecomputedInReverse(a));
}
