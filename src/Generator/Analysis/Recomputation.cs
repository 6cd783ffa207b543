using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// Recompute instead of store: a local declared directly in a loop body, assigned only there, whose inputs
/// are not written later in the same iteration, has at the end of the iteration the value it was given.
/// The reverse sweep replays each iteration from its end (after undoing the loop step), so it can recompute
/// such locals at the start of the iteration's reverse instead of saving them on the tape every iteration
/// (Rosenbrock's <c>a = 1 - x[i]</c>, a foreach element). Values stay exact: the same expression on the same
/// inputs. Such a local is an iteration local (a fused loop computes it in the iteration whose reverse follows); the
/// reverse sweep of a loop that is not fused recomputes it only when that is cheap (<see cref="IsRecomputedInReverse"/>).
/// </summary>
internal sealed class Recomputation
{
    private readonly HashSet<AssignStmt> _recomputable = new(ReferenceComparer<AssignStmt>.Instance);

    public static Recomputation Run(DifferentiableMethod method, Dictionary<string, int> assignmentCounts)
    {
        var result = new Recomputation();
        result.Visit(method.Body, assignmentCounts);
        return result;
    }

    /// <summary>Whether this assignment is recomputed in the reverse sweep (and so never saved).</summary>
    public bool IsRecomputable(AssignStmt assign) => _recomputable.Contains(assign);

    /// <summary>The recomputable assignments directly in a loop body, in order.</summary>
    public IEnumerable<AssignStmt> In(IEnumerable<Stmt> body) => body.OfType<AssignStmt>().Where(IsRecomputable);

    /// <summary>
    /// Recompute or store: whether the reverse sweep of a loop that is not fused recomputes this local. Not when its
    /// expression calls a function or an expensive Math function (Exp, Log, Tanh, ...), which cost tens of cycles where
    /// a push and a pop cost a few: such a local is stored on the tape instead (the mixture's
    /// <c>z = (x - mu) / Math.Exp(logSigma)</c> paid its Exp twice when recomputed).
    /// </summary>
    public bool IsRecomputedInReverse(AssignStmt assign) => IsRecomputable(assign) && !ExprFacts.ContainsExpensiveCall(assign.Value);

    /// <summary>The assignments directly in a loop body that its reverse recomputes, in order.</summary>
    public IEnumerable<AssignStmt> RecomputedIn(IEnumerable<Stmt> body) => body.OfType<AssignStmt>().Where(IsRecomputedInReverse);

    private void Visit(IEnumerable<Stmt> statements, Dictionary<string, int> assignmentCounts)
    {
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case IfStmt s:
                    Visit(s.Then, assignmentCounts);
                    Visit(s.Else, assignmentCounts);
                    break;
                case LoopStmt loop:
                    for (int i = 0; i < loop.Body.Count; i++)
                    {
                        if (loop.Body[i] is AssignStmt { Index: null, IsDeclaration: true } assign && assignmentCounts[assign.Target] == 1)
                        {
                            var writesAfter = new HashSet<string>();
                            ExprFacts.CollectWrites(loop.Body.Skip(i + 1), writesAfter);
                            // Calls are kept on the tape: recomputing one may cost as much as the whole primal.
                            if (!ExprFacts.Reads(assign.Value).Overlaps(writesAfter) && !ExprFacts.ContainsCall(assign.Value))
                            {
                                _recomputable.Add(assign);
                            }
                        }
                    }

                    Visit(loop.Body, assignmentCounts);
                    Visit(loop.Step, assignmentCounts);
                    break;
            }
        }
    }


}
