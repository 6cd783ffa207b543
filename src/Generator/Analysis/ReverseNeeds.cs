using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// To-be-recorded analysis (Tapenade's TBR): which variables and arrays the reverse sweep reads. Only those are
/// saved before being overwritten ("store on overwrite"); a value that only enters linearly (the running sum
/// in <c>s += x[i] * x[i]</c>) is never saved. Also decides, per <c>if</c>, whether the reverse sweep can
/// re-evaluate the condition (its inputs are not written inside the branches) or must record the branch taken.
/// </summary>
internal sealed class ReverseNeeds
{
    private readonly ActivityAnalysis _activity;
    private readonly HashSet<string> _needed = new();

    private ReverseNeeds(ActivityAnalysis activity) => _activity = activity;

    public static ReverseNeeds Run(DifferentiableMethod method, ActivityAnalysis activity, Recomputation recomputation)
    {
        var needs = new ReverseNeeds(activity);
        needs.Visit(method.Body);

        // Restoring an element a[i] (or addressing da[i]) needs i, and recomputing a needed local needs its
        // inputs: iterate until nothing adds a new need.
        List<AssignStmt> assignments = ActivityAnalysis.Assignments(method.Body).ToList();
        bool changed = true;
        while (changed)
        {
            int before = needs._needed.Count;
            foreach (AssignStmt write in assignments)
            {
                if (write.Index is not null && (needs._needed.Contains(write.Target) || activity.IsActive(write.Target)))
                {
                    ExprFacts.CollectReads(write.Index, needs._needed);
                }

                if (recomputation.IsRecomputable(write) && needs._needed.Contains(write.Target))
                {
                    ExprFacts.CollectReads(write.Value, needs._needed);
                }
            }

            changed = needs._needed.Count != before;
        }

        return needs;
    }

    /// <summary>Whether the reverse sweep reads this variable's (or array's) value.</summary>
    public bool IsNeeded(string name) => _needed.Contains(name);

    /// <summary>True when the condition's inputs are untouched by both branches, so the reverse sweep may evaluate it again.</summary>
    public static bool CanRecompute(IfStmt statement)
    {
        var writes = new HashSet<string>();
        ExprFacts.CollectWrites(statement.Then, writes);
        ExprFacts.CollectWrites(statement.Else, writes);
        return !ExprFacts.Reads(statement.Condition).Overlaps(writes);
    }

    private void Visit(IEnumerable<Stmt> statements)
    {
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case AssignStmt a when _activity.IsActive(a.Target):
                    if (_activity.IsActive(a.Value))
                    {
                        Partials(a.Value);
                    }

                    break;
                case IfStmt s:
                    if (CanRecompute(s))
                    {
                        ExprFacts.CollectReads(s.Condition, _needed);
                    }

                    Visit(s.Then);
                    Visit(s.Else);
                    break;
                case LoopStmt l:
                    Visit(l.Body);
                    Visit(l.Step);
                    break;
            }
        }
    }

    // The values that the local partial derivatives of an active expression read.
    private void Partials(Expr expr)
    {
        switch (expr)
        {
            case ElemExpr e:
                ExprFacts.CollectReads(e.Index, _needed);
                return;
            case BinaryExpr { Op: BinaryOp.Multiply } b:
                NeedIfActive(b.Left, b.Right);
                NeedIfActive(b.Right, b.Left);
                break;
            case BinaryExpr { Op: BinaryOp.Divide or BinaryOp.Remainder } b:
                NeedIfActive(b.Left, b.Right);
                if (_activity.IsActive(b.Right))
                {
                    ExprFacts.CollectReads(b.Left, _needed);
                    ExprFacts.CollectReads(b.Right, _needed);
                }

                break;
            case CondExpr c:
                ExprFacts.CollectReads(c.Condition, _needed);
                break;
            case MathCallExpr or CallExpr:
                ExprFacts.CollectReads(expr, _needed);
                break;
        }

        foreach (Expr child in ExprFacts.Children(expr))
        {
            if (_activity.IsActive(child) && expr is not CallExpr)
            {
                Partials(child);
            }
        }
    }

    private void NeedIfActive(Expr active, Expr other)
    {
        if (_activity.IsActive(active))
        {
            ExprFacts.CollectReads(other, _needed);
        }
    }
}
