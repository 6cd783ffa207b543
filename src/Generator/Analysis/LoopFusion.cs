using System.Linq;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// When a method ends with <c>loop; return s;</c> and the loop only accumulates into <c>s</c>
/// (<c>s = s ± e</c>, <c>s</c> read nowhere else) besides locals of the iteration that are recomputable, the
/// adjoint of <c>s</c> is the seed before the loop starts and stays constant through it. Each iteration's reverse
/// can then run right after its forward (its saves and restores balance within the iteration), in one pass
/// with no tape and no trip count: the structure of a hand-derived gradient (Rosenbrock, sums of losses).
/// </summary>
internal static class LoopFusion
{
    /// <summary>The accumulator when <paramref name="loop"/> followed by <paramref name="tail"/> can be fused, else null.</summary>
    public static string? Accumulator(LoopStmt loop, Stmt tail, MethodContext context)
    {
        if (tail is not AssignStmt { Index: null, Value: VarExpr { Name: var s } } result || result.Target != context.Method.ResultName
            || !context.Activity.IsActive(s) || context.Needs.IsNeeded(s) || ExprFacts.Reads(loop.Condition).Contains(s))
        {
            return null;
        }

        bool stepOk = loop.Step.All(x => x is AssignStmt a && ExprFacts.IsInvertibleIncrement(a, out _, out _));
        return stepOk && BodyOk(loop.Body, s, context) ? s : null;
    }

    private static bool BodyOk(Helpers.EquatableArray<Stmt> statements, string s, MethodContext context)
    {
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                // s = s ± e, where e does not read s
                case AssignStmt { Index: null } a when a.Target == s:
                    if (ExprFacts.AccumulatedTerm(a) is null)
                    {
                        return false;
                    }

                    break;

                // a local of the iteration, recomputed rather than saved (so nothing is restored)
                case AssignStmt a when context.Recomputation.IsRecomputable(a) && !ExprFacts.Reads(a.Value).Contains(s):
                    break;

                case IfStmt i when !ExprFacts.Reads(i.Condition).Contains(s):
                    if (!BodyOk(i.Then, s, context) || !BodyOk(i.Else, s, context))
                    {
                        return false;
                    }

                    break;

                default:
                    return false;
            }
        }

        return true;
    }
}
