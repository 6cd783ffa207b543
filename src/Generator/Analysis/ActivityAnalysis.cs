using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// Activity analysis, both of Tapenade's halves: a variable is active when it may hold a floating value that depends
/// on a differentiable parameter ("varied") and may flow into the result ("useful"). Both flow-insensitive and
/// iterated to a fixpoint, so they are sound across loops and branches. Only active variables get adjoints and
/// tangents; the rest is treated as constant. Leaving out the useless ones is not only less work: a value that
/// never reaches the result may be NaN or infinite where the function is differentiable (<c>Math.Sqrt(x - 5)</c>
/// computed and dropped), and its zero adjoint times that partial would have made the gradient NaN.
/// </summary>
internal sealed class ActivityAnalysis
{
    private readonly HashSet<string> _active;
    private readonly HashSet<string> _varied = new();

    private ActivityAnalysis(HashSet<string> active) => _active = active;

    public static ActivityAnalysis Run(DifferentiableMethod method)
    {
        var active = new HashSet<string>(method.Parameters.Where(p => p.Differentiable).Select(p => p.Name));
        var analysis = new ActivityAnalysis(active);
        var floating = new HashSet<string>(method.Locals.Concat(method.Parameters).Where(v => v.IsFloating).Select(v => v.Name));
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (AssignStmt assign in Assignments(method.Body))
            {
                if (!active.Contains(assign.Target) && floating.Contains(assign.Target) && analysis.IsActive(assign.Value))
                {
                    active.Add(assign.Target);
                    changed = true;
                }
            }
        }

        // Useful: the result, and whatever an assignment to a useful variable (or an element of a useful array)
        // reads differentiably; conditions, comparisons and indices carry no derivative. Differentiable parameters stay: their adjoints are outputs.
        var useful = new HashSet<string> { method.ResultName };
        if (method.Output is { } output)
        {
            // A vector-valued method's results are its output array's elements.
            useful.Add(output);
        }

        changed = true;
        while (changed)
        {
            changed = false;
            foreach (AssignStmt assign in Assignments(method.Body))
            {
                if (useful.Contains(assign.Target))
                {
                    var reads = new HashSet<string>();
                    ExprFacts.CollectDifferentiableReads(assign.Value, reads);
                    foreach (string read in reads)
                    {
                        changed |= useful.Add(read);
                    }
                }
            }
        }

        analysis._varied.UnionWith(active);
        active.RemoveWhere(name => !useful.Contains(name) && !method.Parameters.Any(p => p.Differentiable && p.Name == name));
        return analysis;
    }

    public bool IsActive(string variable) => _active.Contains(variable);

    /// <summary>Whether the expression's value depends differentiably on a differentiable parameter, whether or not it reaches the result.</summary>
    public bool IsVaried(Expr expr)
    {
        var reads = new HashSet<string>();
        ExprFacts.CollectDifferentiableReads(expr, reads);
        return reads.Overlaps(_varied);
    }

    /// <summary>Whether the expression's value may depend on a differentiable parameter (and so carries a derivative).</summary>
    public bool IsActive(Expr expr) => expr.Kind is ScalarKind.Double or ScalarKind.Float && expr switch
    {
        VarExpr v => _active.Contains(v.Name),
        ElemExpr e => _active.Contains(e.Array),
        CondExpr c => IsActive(c.WhenTrue) || IsActive(c.WhenFalse),
        UnaryExpr or BinaryExpr or ConvertExpr or MathCallExpr or CallExpr => ExprFacts.Children(expr).Any(IsActive) || (expr is CallExpr call && call.Args.Any(a => a is VarExpr v && _active.Contains(v.Name))),
        _ => false,
    };

    /// <summary>Whether an argument of a call (a scalar, or an array passed by name) carries a derivative.</summary>
    public bool IsActiveArgument(Expr arg) => arg is VarExpr v ? _active.Contains(v.Name) : IsActive(arg);

    public static IEnumerable<AssignStmt> Assignments(IEnumerable<Stmt> statements)
    {
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case AssignStmt a:
                    yield return a;
                    break;
                case IfStmt s:
                    foreach (AssignStmt a in Assignments(s.Then.Concat(s.Else)))
                    {
                        yield return a;
                    }

                    break;
                case LoopStmt l:
                    foreach (AssignStmt a in Assignments(l.Body.Concat(l.Step)))
                    {
                        yield return a;
                    }

                    break;
            }
        }
    }
}
