using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// To-be-recorded analysis (Tapenade's TBR): which variables and arrays the reverse sweep reads, and at which of
/// their overwrites the old value must be saved (<see cref="NeedsRestoreAt"/>: only writes that can come first after
/// a read). A value that only enters linearly (the running sum in <c>s += x[i] * x[i]</c>) is never saved. Also finds
/// counted loops (<see cref="CounterOf"/>) and selection loops (<see cref="Selections"/>), whose reverse needs
/// neither counter nor trip count nor per-step values, and decides, per <c>if</c>, whether the reverse sweep can
/// re-evaluate the condition (its inputs are not written inside the branches) or must record the branch taken.
/// </summary>
internal sealed class ReverseNeeds
{
    private readonly ActivityAnalysis _activity;
    private readonly HashSet<string> _needed = new();

    // Per variable, the statements whose reverse reads it, and where each statement stands: the block it is in, its
    // index there, and the if or loop around it (see NeedsRestoreAt).
    private readonly Dictionary<string, List<Stmt>> _readers = new();
    private readonly Dictionary<Stmt, Position> _positions = new(ReferenceComparer<Stmt>.Instance);
    private readonly Dictionary<string, HashSet<AssignStmt>?> _restoring = new();
    private readonly Dictionary<LoopStmt, LoopCounter> _counters = new(ReferenceComparer<LoopStmt>.Instance);
    private readonly HashSet<AssignStmt> _counterSteps = new(ReferenceComparer<AssignStmt>.Instance);
    private bool _jumps;
    private Stmt? _reader;
    private LoopReruns? _reruns;

    /// <summary>Where a statement stands: <see cref="Block"/>[<see cref="Index"/>], inside <see cref="Parent"/> (its step when <see cref="InStep"/>).</summary>
    private sealed record Position(EquatableArray<Stmt> Block, int Index, Stmt? Parent, bool InStep);

    private ReverseNeeds(ActivityAnalysis activity) => _activity = activity;

    /// <param name="reruns">Loops the reverse sweep runs again (<see cref="LoopReruns"/>): each reads, where it stands, what it
    /// reads and does not write itself (what it writes it keeps on its own).</param>
    public static ReverseNeeds Run(DifferentiableMethod method, ActivityAnalysis activity, Recomputation recomputation, LoopReruns? reruns = null)
    {
        var needs = new ReverseNeeds(activity) { _reruns = reruns };
        needs.Place(method.Body, null, false);
        needs.FindCounters(method.Body);
        needs.Selections = SelectionLoops.Run(method, activity, recomputation, needs);
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

                if ((recomputation.IsRecomputedInReverse(write) || needs.Selections.IsSelectionLocal(write)) && needs._needed.Contains(write.Target))
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

    /// <summary>The selection loops (running minimum or maximum), whose reverse differentiates only the picked iteration.</summary>
    public SelectionLoops Selections { get; private set; } = null!;

    /// <summary>Whether the reverse sweep reads this variable's (or array's) value.</summary>
    public bool IsNeeded(string name) => _needed.Contains(name);

    /// <summary>
    /// Whether the reverse sweep must get back the value this scalar assignment overwrites (Hascoët, Naumann and
    /// Pascual's to-be-recorded rule, by paths). When the reverse sweep reaches a statement that reads the variable,
    /// the variable must hold what it held when that statement ran forward. Every write after the read is undone
    /// before then (the reverse sweep visits them first), and the last one undone is the first write after the read:
    /// so exactly the writes that can come first after some read, on some path of the forward run, restore the old
    /// value. In <c>for (k..) { inner += c[k] * mul; mul *= t; }</c> then <c>r = inner - y</c>, only the
    /// <c>inner = 0</c> that starts the next point is first after the read of <c>inner</c>: the sums inside the inner
    /// loop save nothing. A running sum that only the statements after its loop read keeps its final value for them.
    /// </summary>
    public bool NeedsRestoreAt(AssignStmt write)
    {
        if (!_needed.Contains(write.Target))
        {
            return false;
        }

        if (write.Index is not null || _jumps || !_positions.ContainsKey(write))
        {
            return true;
        }

        return Restoring(write.Target) is not { } restoring || restoring.Contains(write);
    }

    // The writes of a needed scalar that restore; null when some reader cannot be placed (then all of them do).
    private HashSet<AssignStmt>? Restoring(string name)
    {
        if (_restoring.TryGetValue(name, out HashSet<AssignStmt>? known))
        {
            return known;
        }

        var restoring = new HashSet<AssignStmt>(ReferenceComparer<AssignStmt>.Instance);
        var readers = new List<Stmt>(_readers.TryGetValue(name, out List<Stmt>? listed) ? listed : new List<Stmt>());

        // An increment undone by arithmetic (i = i - 1) reads the variable where it stands, after its own write.
        // (Not a counted loop's step: the loop's reverse sets its counter to the final value before replaying it.)
        readers.AddRange(_positions.Keys.OfType<AssignStmt>().Where(a => a.Target == name && ExprFacts.IsInvertibleIncrement(a, out _, out _)
            && !_counterSteps.Contains(a)));
        foreach (Stmt reader in readers)
        {
            if (!_positions.ContainsKey(reader))
            {
                _restoring[name] = null;
                return null;
            }

            if (reader is AssignStmt { Index: null } own && own.Target == name && !ExprFacts.IsInvertibleIncrement(own, out _, out _))
            {
                restoring.Add(own); // it reads the old value, which its own write replaces
            }
            else
            {
                FirstWritesAfter(reader, name, restoring);
            }
        }

        _restoring[name] = restoring;
        return restoring;
    }

    // From just after this statement, along every forward path, the first write of the scalar on it.
    private void FirstWritesAfter(Stmt statement, string name, HashSet<AssignStmt> into)
    {
        Position at = _positions[statement];
        if (FirstWritesIn(at.Block, at.Index + 1, name, into))
        {
            return;
        }

        switch (at.Parent)
        {
            case IfStmt branch:
                FirstWritesAfter(branch, name, into);
                break;
            case LoopStmt loop:
                // The body ends with the step; then another iteration (body and step from the start), or the exit.
                if (!at.InStep && FirstWritesIn(loop.Step, 0, name, into))
                {
                    return;
                }

                if (!FirstWritesIn(loop.Body, 0, name, into))
                {
                    FirstWritesIn(loop.Step, 0, name, into);
                }

                FirstWritesAfter(loop, name, into);
                break;
        }
    }

    // The first writes of the scalar in block[from..]; true when every path through it writes it (a loop may run no
    // iteration, so it never does; an if does when both branches do).
    private static bool FirstWritesIn(EquatableArray<Stmt> block, int from, string name, HashSet<AssignStmt> into)
    {
        for (int i = from; i < block.Count; i++)
        {
            switch (block[i])
            {
                case AssignStmt { Index: null } write when write.Target == name:
                    into.Add(write);
                    return true;
                case IfStmt branch:
                    bool then = FirstWritesIn(branch.Then, 0, name, into);
                    bool otherwise = FirstWritesIn(branch.Else, 0, name, into);
                    if (then && otherwise)
                    {
                        return true;
                    }

                    break;
                case LoopStmt loop:
                    if (!FirstWritesIn(loop.Body, 0, name, into))
                    {
                        FirstWritesIn(loop.Step, 0, name, into);
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>
    /// The counter of a counted loop (<c>k = start; while (k &lt; ...) { body; k++; }</c>, the body not writing k), or
    /// null. Its value when the loop ends is <c>start + trips</c>, so the reverse sweep sets it from the trip count
    /// instead of restoring it from the tape, and when the condition is <c>k &lt; bound</c> with a bound nothing in the
    /// method writes, the trip count itself is <c>max(0, bound - start)</c> and is not recorded either.
    /// </summary>
    public LoopCounter? CounterOf(LoopStmt loop) => _counters.TryGetValue(loop, out LoopCounter? counter) ? counter : null;

    private void FindCounters(EquatableArray<Stmt> body)
    {
        // Variables written anywhere but by one declaration at the top of the method (int d = w.Length): the others
        // hold one value wherever a loop reads them, and keep it through the reverse sweep (nothing overwrites them).
        var written = new HashSet<string>();
        ExprFacts.CollectWrites(body.Where(s => s is not AssignStmt { IsDeclaration: true, Index: null }), written);
        var declaredOnce = new HashSet<string>();
        foreach (AssignStmt declaration in body.OfType<AssignStmt>().Where(a => a.IsDeclaration && a.Index is null))
        {
            if (!declaredOnce.Add(declaration.Target))
            {
                written.Add(declaration.Target);
            }
        }

        // arithmetic on such values (x.Length - 1, n * m) has one value too: evaluated again, it gives the same
        bool Invariant(Expr expr) => expr switch
        {
            ConstExpr or LengthExpr => true, // an array's length never changes (arrays are declared once)
            VarExpr v => !written.Contains(v.Name),
            BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply } b => Invariant(b.Left) && Invariant(b.Right),
            UnaryExpr { Op: UnaryOp.Negate or UnaryOp.Plus } u => Invariant(u.Operand),
            _ => false,
        };

        foreach (KeyValuePair<Stmt, Position> placed in _positions)
        {
            Position at = placed.Value;
            if (placed.Key is LoopStmt loop && at.Index > 0 && ExprFacts.CountedLoop(loop, at.Block[at.Index - 1]) is { } counted && Invariant(counted.Start))
            {
                _counters[loop] = new LoopCounter(counted.Counter, counted.Start, counted.Bound is { } bound && Invariant(bound) ? bound : null, counted.Step);
                _counterSteps.Add(counted.Step);
            }
        }
    }

    private void Place(EquatableArray<Stmt> statements, Stmt? parent, bool inStep)
    {
        for (int i = 0; i < statements.Count; i++)
        {
            Stmt statement = statements[i];
            _positions[statement] = new Position(statements, i, parent, inStep);
            switch (statement)
            {
                case IfStmt s:
                    Place(s.Then, s, false);
                    Place(s.Else, s, false);
                    break;
                case LoopStmt l:
                    Place(l.Body, l, false);
                    Place(l.Step, l, true);
                    break;
                case BreakStmt or ContinueStmt or ReturnStmt:
                    // Paths that jump: the rule above walks structured code only, so every write of a needed scalar restores.
                    _jumps = true;
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
                    if (Selections.IsSelection(a))
                    {
                        // Its reverse is that of best = e at the picked iteration: it reads what e's partials read, not best.
                        Expr candidate = Selections.CandidateOf(a);
                        if (_activity.IsActive(candidate))
                        {
                            _reader = a;
                            Partials(candidate);
                        }
                    }
                    else if (_activity.IsActive(a.Value))
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
                    if (_reruns?.RunsAgain(l) == true)
                    {
                        var written = new HashSet<string>(LoopReruns.Written(l));
                        foreach (string name in LoopReruns.Reads(l).Where(n => !written.Contains(n)))
                        {
                            Add(name, l);
                        }
                    }

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

/// <summary>A counted loop's counter (see <see cref="ReverseNeeds.CounterOf"/>).</summary>
/// <param name="Name">The counter variable.</param>
/// <param name="Start">Its value before the first iteration (nothing in the method writes what it reads).</param>
/// <param name="Bound">When the condition is <c>Name &lt; Bound</c> with an invariant bound: the trip count is <c>max(0, Bound - Start)</c>.</param>
/// <param name="Step">The loop's step, <c>Name++</c>.</param>
internal sealed record LoopCounter(string Name, Expr Start, Expr? Bound, AssignStmt Step);
