using System;
using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Transforms;

/// <summary>
/// Linear recursion as two loops. A method whose body is <c>return stop ? base : E(F(args))</c> (or <c>if (stop) return
/// base; return E(F(args));</c>), with F the method itself called exactly once, on every level that does not stop, and
/// each argument either the parameter itself or an int parameter plus or minus a constant, computes the same value as:
/// <code>
/// int __depth = 0;
/// while (!stop) { p = p ± k; __depth++; }        // down to the base case
/// T __r = base;
/// while (__depth > 0) { __depth--; p = p ∓ k; __r = E(__r); }   // back up, each level with its own parameters
/// return __r;
/// </code>
/// The parameters that change are copied into locals first. The derivatives are then those of a loop: the reverse
/// sweep undoes the int steps and keeps each level's <c>__r</c> on the tape, once, where the recursive form's VJP
/// called the next level's VJP at every level (a continued fraction, a Horner scheme over an array: over an array each
/// level also kept the array's partials, O(length) per level). The rewrite is exact: the same operations on the same
/// values in the same order, the levels' conditions and arguments evaluated on the way down as the calls would.
/// </summary>
internal static class LinearRecursion
{
    /// <summary>The loops for <paramref name="body"/>, or null when it is not linear recursion of that form.</summary>
    /// <param name="body">The method's statements as parsed.</param>
    /// <param name="self">The callee of the method's calls of itself.</param>
    /// <param name="parameters">The method's parameters in order.</param>
    /// <param name="returnKind">Its return type.</param>
    /// <param name="fresh">Declares a synthetic local of a kind and returns its name.</param>
    public static List<Stmt>? Loop(IReadOnlyList<Stmt> body, CalleeInfo self, IReadOnlyList<VarInfo> parameters, ScalarKind returnKind, Func<string, ScalarKind, string> fresh)
    {
        if (Split(body) is not ({ } comment, { } condition, { } whenTrue, { } whenFalse))
        {
            return null;
        }

        bool recursesWhenTrue = Calls(whenTrue, self) == 1 && Calls(whenFalse, self) == 0 && whenFalse.Prefix.Count == 0;
        bool recursesWhenFalse = Calls(whenFalse, self) == 1 && Calls(whenTrue, self) == 0 && whenTrue.Prefix.Count == 0;
        if (Calls(condition, self) != 0 || !(recursesWhenTrue || recursesWhenFalse))
        {
            return null;
        }

        Arm recursive = recursesWhenTrue ? whenTrue : whenFalse;
        Expr baseCase = (recursesWhenTrue ? whenFalse : whenTrue).Value;
        Expr stop = recursesWhenTrue ? new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, condition) : condition;
        if (recursive.Expressions.Select(e => UnconditionalCall(e, self)).FirstOrDefault(c => c is not null) is not { } call || call.Args.Count != parameters.Count)
        {
            return null;
        }

        // Each argument: the parameter itself, or an int parameter plus or minus an int constant.
        var steps = new List<(VarInfo Parameter, BinaryOp Op, ConstExpr Amount)>();
        for (int i = 0; i < parameters.Count; i++)
        {
            VarInfo parameter = parameters[i];
            switch (call.Args[i])
            {
                case VarExpr v when v.Name == parameter.Name:
                    continue;
                case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract, Left: VarExpr v, Right: ConstExpr amount } step
                    when v.Name == parameter.Name && parameter.Kind == ScalarKind.Int && parameter.Shape == ShapeKind.Scalar && amount.Kind == ScalarKind.Int:
                    steps.Add((parameter, step.Op, amount));
                    continue;
                default:
                    return null;
            }
        }

        if (steps.Count == 0)
        {
            return null;
        }

        // The changing parameters as locals.
        var output = new List<Stmt>();
        var renamed = new Dictionary<string, VarExpr>();
        foreach ((VarInfo parameter, _, _) in steps)
        {
            var local = Build.Var(ScalarKind.Int, fresh(parameter.Name.TrimStart('@'), ScalarKind.Int));
            renamed[parameter.Name] = local;
            output.Add(new AssignStmt(comment, local.Name, null, Build.Var(ScalarKind.Int, parameter.Name), IsDeclaration: true));
        }

        var depth = Build.Var(ScalarKind.Int, fresh("__depth", ScalarKind.Int));
        var result = Build.Var(returnKind, fresh("__r", returnKind));
        Expr Level(Expr e) => Build.Substitute(e, n => ReferenceEquals(n, call) ? result : n is VarExpr v && renamed.TryGetValue(v.Name, out VarExpr? local) ? local : null);
        IEnumerable<Stmt> Step(bool down) => steps.Select(s =>
        {
            VarExpr local = renamed[s.Parameter.Name];
            BinaryOp op = down == (s.Op == BinaryOp.Add) ? BinaryOp.Add : BinaryOp.Subtract;
            string note = down ? "the next level's arguments" : "back to this level's arguments";
            return (Stmt)new AssignStmt(note, local.Name, null, new BinaryExpr(ScalarKind.Int, op, local, s.Amount), IsDeclaration: false);
        });

        output.Add(new AssignStmt(comment, depth.Name, null, Build.Int(0), IsDeclaration: true));
        output.Add(new LoopStmt(comment + "   (the recursion as a loop: down to the base case)", Level(new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, stop)),
            Step(down: true).ToEquatableArray(),
            new Stmt[] { new AssignStmt("one level deeper", depth.Name, null, Build.Add(depth, Build.Int(1)), IsDeclaration: false) }.ToEquatableArray(), TestAtEnd: false));
        output.Add(new AssignStmt("the base case", result.Name, null, Level(baseCase), IsDeclaration: true));
        var up = new List<Stmt> { new AssignStmt("one level up", depth.Name, null, Build.Sub(depth, Build.Int(1)), IsDeclaration: false) };
        up.AddRange(Step(down: false));
        up.AddRange(recursive.Prefix.Select(local => local with { Value = Level(local.Value) }));
        up.Add(new AssignStmt(recursive.Comment, result.Name, null, Level(recursive.Value), IsDeclaration: false));
        output.Add(new LoopStmt(comment + "   (the recursion as a loop: back up, one level an iteration)", Build.Compare(BinaryOp.Greater, depth, Build.Int(0)),
            up.ToEquatableArray(), EquatableArray<Stmt>.Empty, TestAtEnd: false));
        output.Add(new ReturnStmt(comment, result));
        return output;
    }

    /// <summary>One way out of the method: locals it declares (scalars), then the value it returns.</summary>
    private sealed record Arm(IReadOnlyList<AssignStmt> Prefix, Expr Value, string Comment)
    {
        public IEnumerable<Expr> Expressions => Prefix.Select(p => p.Value).Concat(new[] { Value });
    }

    // return c ? a : b; or if (c) { locals; return a; } [else] { locals; return b; } (the else's statements may follow the if).
    private static (string, Expr, Arm, Arm)? Split(IReadOnlyList<Stmt> body)
    {
        if (body.Count == 1 && body[0] is ReturnStmt { Value: CondExpr c } ret)
        {
            return (ret.Comment, c.Condition, new Arm(Array.Empty<AssignStmt>(), c.WhenTrue, ret.Comment), new Arm(Array.Empty<AssignStmt>(), c.WhenFalse, ret.Comment));
        }

        if (body.Count == 0 || body[0] is not IfStmt branch || ArmOf(branch.Then) is not { } then)
        {
            return null;
        }

        Arm? otherwise = branch.Else.Count > 0 ? (body.Count == 1 ? ArmOf(branch.Else) : null) : ArmOf(body.Skip(1).ToList());
        return otherwise is null ? null : (branch.Comment, branch.Condition, then, otherwise);
    }

    private static Arm? ArmOf(IReadOnlyList<Stmt> statements)
    {
        if (statements.Count == 0 || statements[statements.Count - 1] is not ReturnStmt ret)
        {
            return null;
        }

        var prefix = new List<AssignStmt>();
        for (int i = 0; i < statements.Count - 1; i++)
        {
            if (statements[i] is not AssignStmt { Index: null, IsDeclaration: true } local)
            {
                return null;
            }

            prefix.Add(local);
        }

        return new Arm(prefix, ret.Value, ret.Comment);
    }

    private static int Calls(Arm arm, CalleeInfo self) => arm.Expressions.Sum(e => Calls(e, self));

    private static int Calls(Expr expr, CalleeInfo self)
        => (expr is CallExpr call && call.Callee.Equals(self) ? 1 : 0) + ExprFacts.Children(expr).Sum(child => Calls(child, self));

    // The call of self in expr when every evaluation of expr makes it: not inside a branch of ?: or the right of && and ||.
    private static CallExpr? UnconditionalCall(Expr expr, CalleeInfo self)
    {
        if (expr is CallExpr call && call.Callee.Equals(self))
        {
            return call;
        }

        IEnumerable<Expr> always = expr switch
        {
            CondExpr c => new[] { c.Condition },
            BinaryExpr { Op: BinaryOp.ConditionalAnd or BinaryOp.ConditionalOr } b => new[] { b.Left },
            _ => ExprFacts.Children(expr),
        };
        return always.Select(child => UnconditionalCall(child, self)).FirstOrDefault(found => found is not null);
    }
}
