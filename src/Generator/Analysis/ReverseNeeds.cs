using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
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

    // Per variable, the statements whose reverse reads it, and where each statement stands: its place in program
    // order and the loops around it. A scalar whose readers all come later, outside any loop around the write, needs
    // no restore at that write (see NeedsRestoreAt).
    private readonly Dictionary<string, List<Stmt>> _readers = new();
    private readonly Dictionary<Stmt, (int Order, List<LoopStmt> Loops)> _places = new(ReferenceComparer<Stmt>.Instance);
    private Stmt? _reader;

    private ReverseNeeds(ActivityAnalysis activity) => _activity = activity;

    public static ReverseNeeds Run(DifferentiableMethod method, ActivityAnalysis activity, Recomputation recomputation)
    {
        var needs = new ReverseNeeds(activity);
        needs.Place(method.Body, new List<LoopStmt>());
        needs.Visit(method.Body);

        // Restoring an element a[i] (or addressing da[i]) needs i, and recomputing a needed local needs its
        // inputs: iterate until nothing adds a new need.
        List<AssignStmt> assignments = ActivityAnalysis.Assignments(method.Body).ToList();
        bool changed = true;
        while (changed)
        {
            int before = needs._needed.Count;
            int readersBefore = needs._readers.Values.Sum(r => r.Count);
            foreach (AssignStmt write in assignments)
            {
                needs._reader = write;
                if (write.Index is not null && (needs._needed.Contains(write.Target) || activity.IsActive(write.Target)))
                {
                    needs.Need(write.Index);
                }

                if (recomputation.IsRecomputable(write) && needs._needed.Contains(write.Target))
                {
                    // Recomputed where the reader of the local is: its inputs are read wherever the local is.
                    foreach (string input in ExprFacts.Reads(write.Value))
                    {
                        needs.Add(input, write);
                        foreach (Stmt reader in needs._readers[write.Target].ToList())
                        {
                            needs.Add(input, reader);
                        }
                    }
                }
            }

            changed = needs._needed.Count != before || needs._readers.Values.Sum(r => r.Count) != readersBefore;
        }

        return needs;
    }

    /// <summary>Whether the reverse sweep reads this variable's (or array's) value.</summary>
    public bool IsNeeded(string name) => _needed.Contains(name);

    /// <summary>
    /// Whether the reverse sweep must get back the value this scalar assignment overwrites: the variable is read in
    /// reverse, and some reader is not strictly after the write in program order, or shares a loop with it (the next
    /// iteration's write comes after it). A running sum that only the statements after its loop read
    /// (<c>s += Math.Exp(x[i] - m)</c> then <c>Math.Log(s)</c>) keeps its final value for them and is never saved.
    /// </summary>
    public bool NeedsRestoreAt(AssignStmt write)
    {
        if (!_needed.Contains(write.Target))
        {
            return false;
        }

        if (write.Index is not null || !_places.TryGetValue(write, out var at) || !_readers.TryGetValue(write.Target, out List<Stmt>? readers))
        {
            return true;
        }

        foreach (Stmt reader in readers)
        {
            if (!_places.TryGetValue(reader, out var place) || place.Order <= at.Order || place.Loops.Any(loop => at.Loops.Contains(loop, ReferenceComparer<LoopStmt>.Instance)))
            {
                return true;
            }
        }

        return false;
    }

    private void Place(IEnumerable<Stmt> statements, List<LoopStmt> loops)
    {
        foreach (Stmt statement in statements)
        {
            _places[statement] = (_places.Count, loops);
            switch (statement)
            {
                case IfStmt s:
                    Place(s.Then, loops);
                    Place(s.Else, loops);
                    break;
                case LoopStmt l:
                    var inner = new List<LoopStmt>(loops) { l };
                    Place(l.Body, inner);
                    Place(l.Step, inner);
                    break;
            }
        }
    }

    // Set before every Need: the statement whose reverse reads what Need collects.
    private void Need(Expr expr)
    {
        foreach (string name in ExprFacts.Reads(expr))
        {
            Add(name, _reader!);
        }
    }

    private void Add(string name, Stmt reader)
    {
        _needed.Add(name);
        if (!_readers.TryGetValue(name, out List<Stmt>? readers))
        {
            readers = new List<Stmt>();
            _readers[name] = readers;
        }

        if (!readers.Contains(reader, ReferenceComparer<Stmt>.Instance))
        {
            readers.Add(reader);
        }
    }

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
                        _reader = a;
                        Partials(a.Value);
                    }

                    break;
                case IfStmt s:
                    if (CanRecompute(s))
                    {
                        _reader = s;
                        Need(s.Condition);
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
                Need(e.Index);
                return;
            case BinaryExpr { Op: BinaryOp.Multiply } b:
                NeedIfActive(b.Left, b.Right);
                NeedIfActive(b.Right, b.Left);
                break;
            case BinaryExpr { Op: BinaryOp.Divide or BinaryOp.Remainder } b:
                NeedIfActive(b.Left, b.Right);
                if (_activity.IsActive(b.Right))
                {
                    Need(b.Left);
                    Need(b.Right);
                }

                break;
            case CondExpr c:
                Need(c.Condition);
                break;
            case MathCallExpr or CallExpr:
                Need(expr);
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
            Need(other);
        }
    }
}
