using System;
using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Transforms;

/// <summary>
/// Outside loops, a call to a differentiable function whose differentiable parameters are scalars or arrays passed by
/// name becomes a statement of its own, <c>__call = G(a, b);</c>, which the reverse emitter evaluates with G's VJP seeded with 1:
/// one call gives both the value and the partials, kept for the reverse sweep (<see cref="Emit.ReverseEmitter"/>). In a
/// loop's body only calls with an array argument are lifted (the emitter keeps their partials on the tapes).
/// The plain scheme called G in the forward sweep and G's VJP in the reverse, and that VJP calls G again inside:
/// through recursion, O(depth²) calls. Split, a recursive VJP costs one VJP per level. Only calls that are always
/// evaluated are lifted (not inside a <c>?:</c> branch or the right side of <c>&amp;&amp;</c>/<c>||</c>); the
/// functions are pure, so evaluating one before the rest of its statement changes nothing.
/// </summary>
internal static class CallLifting
{
    /// <param name="inLoop">The statements are in a loop's body: only calls with an array argument are lifted (their
    /// partials go on the tapes, and a VJP that runs the callee again costs a whole callee per iteration); calls over
    /// scalars stay in their statements, whose reverse calls their VJP.</param>
    public static List<Stmt> Lift(IEnumerable<Stmt> statements, Func<string, ScalarKind, string> newVariable, bool inLoop = false)
    {
        var output = new List<Stmt>();
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case AssignStmt assign when assign.Value is not CallExpr:
                    output.Add(assign with { Value = LiftCalls(assign.Value, assign.Comment, output, newVariable, inLoop) });
                    break;
                case ReturnStmt ret:
                    output.Add(ret with { Value = ret.Value is CallExpr call && Liftable(call, inLoop) ? Lifted(call, ret.Comment, output, newVariable) : LiftCalls(ret.Value, ret.Comment, output, newVariable, inLoop) });
                    break;
                case IfStmt branch:
                    output.Add(branch with { Then = Lift(branch.Then, newVariable, inLoop).ToEquatableArray(), Else = Lift(branch.Else, newVariable, inLoop).ToEquatableArray() });
                    break;
                case LoopStmt loop:
                    output.Add(loop with { Body = Lift(loop.Body, newVariable, inLoop: true).ToEquatableArray() });
                    break;
                default:
                    output.Add(statement);
                    break;
            }
        }

        return output;
    }

    /// <summary>Whether the call is taken out of its statement and split: outside loops every splittable call, in a loop's
    /// body one with an array argument (the reverse emitter splits exactly these; see <paramref name="inLoop"/> of
    /// <see cref="Lift"/>).</summary>
    public static bool Liftable(CallExpr call, bool inLoop) => IsSplittable(call) && !(inLoop && OverScalars(call));

    /// <summary>
    /// Whether the reverse emitter can evaluate the call by its VJP with seed 1: every differentiable parameter a scalar,
    /// or an array passed by name (its partials are then a pooled array of its length, kept for the reverse sweep).
    /// </summary>
    public static bool IsSplittable(CallExpr call)
        => TypeClassifier.IsFloating(call.Kind)
            && call.Callee.Parameters.Select((p, i) => !p.Differentiable || p.Shape == ShapeKind.Scalar || (p.Shape == ShapeKind.Array && p.Kind == call.Kind && call.Args[i] is VarExpr)).All(ok => ok);

    /// <summary>Whether every differentiable parameter of the call is a scalar (its partials are scalars).</summary>
    public static bool OverScalars(CallExpr call) => call.Callee.Parameters.All(p => !p.Differentiable || p.Shape == ShapeKind.Scalar);

    private static Expr LiftCalls(Expr expr, string comment, List<Stmt> output, Func<string, ScalarKind, string> newVariable, bool inLoop)
    {
        switch (expr)
        {
            case CallExpr call:
            {
                var args = call.Args.Select(a => LiftCalls(a, comment, output, newVariable, inLoop)).ToEquatableArray();
                CallExpr rebuilt = call with { Args = args };
                return Liftable(rebuilt, inLoop) ? Lifted(rebuilt, comment, output, newVariable) : rebuilt;
            }

            case CondExpr cond:
                // Only the condition always runs; it is not differentiated, so its calls stay where they are.
                return cond;
            case BinaryExpr { Op: BinaryOp.ConditionalAnd or BinaryOp.ConditionalOr }:
                return expr;
            case UnaryExpr unary:
                return unary with { Operand = LiftCalls(unary.Operand, comment, output, newVariable, inLoop) };
            case BinaryExpr binary:
                return binary with { Left = LiftCalls(binary.Left, comment, output, newVariable, inLoop), Right = LiftCalls(binary.Right, comment, output, newVariable, inLoop) };
            case ConvertExpr convert:
                return convert with { Operand = LiftCalls(convert.Operand, comment, output, newVariable, inLoop) };
            case MathCallExpr math:
                return math with { Args = math.Args.Select(a => LiftCalls(a, comment, output, newVariable, inLoop)).ToEquatableArray() };
            default:
                // Leaves, array reads (their index is an integer), StopGradient (its calls carry no derivative).
                return expr;
        }
    }

    private static Expr Lifted(CallExpr call, string comment, List<Stmt> output, Func<string, ScalarKind, string> newVariable)
    {
        string temp = newVariable("__call", call.Kind);
        output.Add(new AssignStmt(comment, temp, null, call, IsDeclaration: true));
        return new VarExpr(call.Kind, temp);
    }
}
