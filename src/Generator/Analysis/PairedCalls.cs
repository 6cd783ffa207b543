using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Transforms;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// Calls of a second-order method G whose value the same statement list has already asked for: <c>v = GDirectional(a,
/// ta)</c> followed by <c>c = G(a)</c> on the same arguments, nothing between writing what they read. The directional
/// derivative's reverse mode computes G's value on the way (<c>GDirectionalVjp(..., out value)</c>), and its partials
/// with respect to the tangents are G's partials (∇G·t is linear in t), so the second call costs nothing. The tangent
/// program of a second-order method makes this pair for every call it differentiates (<see cref="TangentProgram"/>);
/// without it, a recursive method's Hessian-vector product called its VJP beside its directional VJP at every level,
/// O(depth²). Only split calls over scalars (outside loops, every differentiable parameter a scalar) are paired.
/// </summary>
internal sealed class PairedCalls
{
    private readonly Dictionary<AssignStmt, AssignStmt> _directionalOf = new(ReferenceComparer<AssignStmt>.Instance);
    private readonly HashSet<AssignStmt> _directionals = new(ReferenceComparer<AssignStmt>.Instance);

    public static PairedCalls Run(IEnumerable<Stmt> body)
    {
        var pairs = new PairedCalls();
        pairs.Visit(body.ToList());
        return pairs;
    }

    /// <summary>The directional call whose value and tangent partials this call of G reuses, or null.</summary>
    public AssignStmt? DirectionalOf(AssignStmt call) => _directionalOf.TryGetValue(call, out AssignStmt? directional) ? directional : null;

    /// <summary>Whether a later call of G reads this directional call's value of G.</summary>
    public bool GivesValue(AssignStmt directional) => _directionals.Contains(directional);

    private void Visit(List<Stmt> statements)
    {
        for (int i = 0; i < statements.Count; i++)
        {
            switch (statements[i])
            {
                case AssignStmt { Index: null, Value: CallExpr call } assign when call.Callee.Directional is not null && CallLifting.IsSplittable(call) && CallLifting.OverScalars(call):
                    if (Find(statements, i, call) is { } directional)
                    {
                        _directionalOf[assign] = directional;
                        _directionals.Add(directional);
                    }

                    break;
                case IfStmt branch:
                    Visit(branch.Then.ToList());
                    Visit(branch.Else.ToList());
                    break;
            }
        }
    }

    // The nearest earlier directional call on the same arguments, when nothing from it to the call writes what they read.
    private static AssignStmt? Find(List<Stmt> statements, int at, CallExpr call)
    {
        HashSet<string> reads = new();
        foreach (Expr argument in call.Args)
        {
            ExprFacts.CollectReads(argument, reads);
        }

        for (int j = at - 1; j >= 0; j--)
        {
            if (statements[j] is not AssignStmt assign || reads.Contains(assign.Target))
            {
                return null;
            }

            if (assign is { Index: null, Value: CallExpr candidate } && candidate.Callee.Primal == call.Callee.Directional
                && candidate.Args.Count > call.Args.Count && candidate.Args.Take(call.Args.Count).SequenceEqual(call.Args)
                && CallLifting.IsSplittable(candidate))
            {
                return assign;
            }
        }

        return null;
    }
}
