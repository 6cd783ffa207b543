using System.Linq;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// When a method ends with <c>loop; return s;</c> and the loop's iterations commute (<see cref="LoopReruns.Commutes"/>:
/// it accumulates into <c>s</c>, read nowhere else, and its other active variables live in one iteration), the
/// adjoint of <c>s</c> is the seed before the loop starts and stays constant through it. Each iteration's reverse
/// can then run right after its forward (its saves and restores balance within the iteration, nested loops
/// included), in one pass with no trip count: the structure of a hand-derived gradient (Rosenbrock, sums of losses,
/// a polynomial fit whose inner loop runs over the coefficients).
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
        return stepOk && LoopReruns.Commutes(loop, context.Activity) ? s : null;
    }
}
