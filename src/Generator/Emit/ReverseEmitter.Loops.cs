using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <content>Loops: replayed backwards from their trip count (or from a checkpoint per iteration), counted loops setting their counter, and selection loops differentiated at the picked iteration only.</content>
internal sealed partial class ReverseEmitter
{
    private (CodeBlock, CodeBlock) EmitLoop(LoopStmt loop, int depth)
    {
        if (_fusedIteration)
        {
            // A loop inside a fused iteration is an ordinary loop there: its forward and reverse both run in the iteration.
            bool fused = _fusedIteration;
            _fusedIteration = false;
            try
            {
                return EmitLoop(loop, depth);
            }
            finally
            {
                _fusedIteration = fused;
            }
        }

        if (_c.Needs.Selections.Of(loop) is { } selection)
        {
            return EmitSelectionLoop(loop, selection, depth);
        }

        if (!_noSaves && _c.Reruns.Contains(loop))
        {
            return EmitRerunLoop(loop, depth);
        }

        // A checkpointed loop (LoopReruns.IsCheckpointed): the forward keeps each iteration's carried values and saves
        // nothing else; the reverse of an iteration puts them back and runs the body again, each statement's reverse
        // after it, then puts them back once more for the iteration before.
        bool checkpoint = !_noSaves && _c.Reruns.IsCheckpointed(loop);
        var carried = new List<(VarExpr Variable, Expr Pop)>();
        var checkpointForward = new CodeBlock();
        if (checkpoint)
        {
            foreach (string name in LoopReruns.Carried(loop))
            {
                ScalarKind kind = _c.Variables[name].Kind;
                var value = Build.Var(kind, name);
                carried.Add((value, TapePush(checkpointForward, value, kind)));
            }
        }

        bool noSaves = _noSaves;
        int splitDepth = _splitDepth;
        // Whether vector loops may run the loop's parts: its primal analysed once, for the body, the forward and the reverse.
        VectorPlan? vector = !checkpoint && !_noSaves ? VectorPlanOf(loop) : null;
        bool inVectorLoop = _inVectorLoop;
        _inVectorLoop = vector is not null && _c.Needs.CounterOf(loop) is { } counted && RunsForwards(loop, counted);
        _noSaves |= checkpoint;
        _splitDepth = depth + 1;
        (CodeBlock bodyForward, CodeBlock bodyReverse) = EmitSequence(loop.Body, depth + 1);
        _splitDepth = splitDepth;
        _inVectorLoop = inVectorLoop;
        (CodeBlock stepForward, CodeBlock stepReverse) = EmitSequence(loop.Step, depth + 1);
        _noSaves = noSaves;
        if (checkpoint)
        {
            checkpointForward.Append(bodyForward);
            bodyForward = checkpointForward;
            bodyReverse = CheckpointReplay(loop, depth + 1, carried);
            if (loop.Step[0] is AssignStmt step && ExprFacts.IsInvertibleIncrement(step, out BinaryOp inverse, out Expr? amount))
            {
                var counterValue = Build.Var(ScalarKind.Int, step.Target);
                stepReverse = new CodeBlock().Add(new AssignCode(counterValue, new BinaryExpr(ScalarKind.Int, inverse, counterValue, amount!)));
            }
        }

        var forward = new CodeBlock().Comment(loop.Comment + (checkpoint ? "   (what each iteration carries is kept: its reverse runs it again)" : string.Empty));
        var reverse = new CodeBlock();
        bool record = !(bodyReverse.IsEmpty && stepReverse.IsEmpty);
        LoopCounter? counter = record ? _c.Needs.CounterOf(loop) : null;
        // The trip count is all the reverse sweep needs to replay the loop (unless a counted loop's bound gives it again).
        VarExpr? trips = record && counter?.Bound is null ? DeclareLoopRecord(forward, "__trips", 0, depth) : null;

        var iteration = new CodeBlock();
        if (trips is not null)
        {
            iteration.Add(new IncrementCode(trips.Name));
        }

        if (trips is null && vector is not null && VectorForward(loop, vector, bodyForward, stepForward) is { } vectorForward)
        {
            forward.Append(vectorForward);
        }
        else
        {
            iteration.Append(bodyForward);
            iteration.Append(stepForward);
            forward.Add(new WhileCode(loop.Condition, iteration, loop.TestAtEnd));
        }

        if (!record)
        {
            return (forward, reverse);
        }

        Expr count;
        if (counter?.Bound is { } bound)
        {
            // A counted loop to an invariant bound: its trip count is known again in the reverse sweep.
            count = counter.Start is ConstExpr { Text: "0" }
                ? bound is LengthExpr ? bound : Build.AtLeastZero(bound)
                : Build.AtLeastZero(new BinaryExpr(ScalarKind.Int, BinaryOp.Subtract, bound, counter.Start));
        }
        else
        {
            count = KeepLoopRecord(forward, trips!, depth);
        }

        string k = _c.Temp("__k");
        reverse.Comment(loop.Comment + "   (iterations replayed backwards)");
        if (counter is not null && (checkpoint || _c.Needs.NeedsRestoreAt(counter.Step)))
        {
            // The counter ends at start + trips: set there, not restored from the tape (each iteration's reverse then
            // undoes its step).
            string n = _c.Temp("__n");
            reverse.Add(new DeclareCode("int", n, count));
            var trips2 = Build.Var(ScalarKind.Int, n);
            reverse.Add(new AssignCode(Build.Var(ScalarKind.Int, counter.Name),
                counter.Start is ConstExpr { Text: "0" } ? trips2 : new BinaryExpr(ScalarKind.Int, BinaryOp.Add, counter.Start, trips2)));
            count = trips2;
        }

        var back = new CodeBlock();
        back.Append(stepReverse);

        if (checkpoint)
        {
            back.Append(bodyReverse);
            reverse.Add(new CountdownCode(k, count, back));
            return (forward, reverse);
        }

        // Locals of the iteration are recomputed from its (restored) inputs rather than read off a tape.
        var inner = new CodeBlock();
        foreach (AssignStmt local in _c.Recomputation.RecomputedIn(loop.Body).Where(a => _c.Needs.IsNeeded(a.Target)))
        {
            Recompute(inner, local);
        }

        ZeroIterationAdjoints(inner, loop);
        inner.Append(bodyReverse);
        if (counter is not null && vector is not null && VectorReverse(loop, counter, vector, inner) is { } inOrder)
        {
            return (forward, inOrder);
        }

        back.Append(inner);
        reverse.Add(new CountdownCode(k, count, back));
        return (forward, reverse);
    }

    /// <summary>
    /// A selection loop (<see cref="SelectionLoops"/>): the forward sweep runs the loop and notes the counter of the
    /// last iteration whose candidate the running minimum or maximum picked; the reverse sweep recomputes that
    /// iteration's locals and sends the whole adjoint to its candidate. Nothing per iteration goes on the tape.
    /// </summary>
    private (CodeBlock, CodeBlock) EmitSelectionLoop(LoopStmt loop, SelectionLoop selection, int depth)
    {
        bool noSaves = _noSaves;
        _noSaves = true;
        (CodeBlock localsForward, CodeBlock localsReverse) = EmitSequence(selection.Locals, depth + 1);
        (CodeBlock stepForward, _) = EmitSequence(loop.Step, depth + 1);
        var pickReverse = new CodeBlock();
        for (int i = selection.Selected.Count - 1; i >= 0; i--)
        {
            (AssignStmt statement, Expr candidate) = selection.Selected[i];
            pickReverse.Append(EmitAssign(statement with { Value = candidate }, depth + 1).Item2);
        }

        _noSaves = noSaves;

        AssignStmt final = selection.Final;
        VarInfo best = _c.Variables[final.Target];
        string keyword = TypeClassifier.Keyword(best.Kind);
        var bestValue = Build.Var(best.Kind, final.Target);
        var counter = Build.Var(ScalarKind.Int, selection.Counter.Name);
        string running = selection.Call.Function == "Min" ? "minimum" : "maximum";
        var forward = new CodeBlock().Comment(loop.Comment + "   (a running " + running + ": the last iteration it picks is noted)");
        VarExpr picked = DeclareLoopRecord(forward, "__picked", -1, depth);

        var iteration = new CodeBlock();
        iteration.Append(localsForward);
        Expr candidateValue = selection.Call.Args[1];
        if (candidateValue is not (VarExpr or ConstExpr))
        {
            var temp = Build.Var(best.Kind, _c.Temp("__v"));
            iteration.Comment(final.Comment);
            iteration.Add(new DeclareCode(keyword, temp.Name, candidateValue));
            candidateValue = temp;
        }

        var rule = new DerivativeRules.Context(2, i => i == 0 ? bestValue : candidateValue, () => bestValue, selection.Call.Class, best.Kind);
        Expr keepsBest = DerivativeRules.Selection(selection.Call.Function, rule)![0].Condition!;

        // Three cases, tested by the comparison Math.Min itself makes. A strictly better candidate is picked: the
        // counter is noted and the candidate taken, with no call (Math.Min(b, v) is v when v < b). A strictly worse one
        // changes nothing. Only a tie or a NaN runs the general code: the rule's own test and Math.Min, which decide
        // signed zeros and NaN as before. The common case, a worse candidate, is one compare and a predicted jump.
        BinaryOp better = selection.Call.Function == "Min" ? BinaryOp.Less : BinaryOp.Greater;
        var picks = new CodeBlock();
        picks.Add(new AssignCode(picked, counter));
        var general = new CodeBlock();
        general.Add(new AssignCode(picked, new CondExpr(ScalarKind.Int, keepsBest, picked, counter)));
        foreach ((AssignStmt statement, Expr candidate) in selection.Selected.Where(c => !ReferenceEquals(c.Statement, final)))
        {
            var target = Build.Var(_c.Variables[statement.Target].Kind, statement.Target);
            picks.Comment(statement.Comment);
            picks.Add(new AssignCode(target, candidate));
            general.Comment(statement.Comment);
            general.Add(new AssignCode(target, statement.Value));
        }

        picks.Add(new AssignCode(bestValue, candidateValue));
        general.Add(new AssignCode(bestValue, new MathCallExpr(best.Kind, selection.Call.Class, selection.Call.Function, new EquatableArray<Expr>(new Expr[] { bestValue, candidateValue }))));
        var worse = Build.Compare(better, bestValue, candidateValue);
        var tie = new CodeBlock();
        tie.Add(new IfCode(new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, worse), general, new CodeBlock()));
        iteration.Comment(final.Comment);
        iteration.Add(new IfCode(Build.Compare(better, candidateValue, bestValue), picks, tie));
        iteration.Append(stepForward);
        forward.Add(new WhileCode(loop.Condition, iteration, TestAtEnd: false));

        var reverse = new CodeBlock();
        Expr at = KeepLoopRecord(forward, picked, depth);
        if (at is TapePopExpr)
        {
            // Read twice below: popped once into a local.
            string popped = _c.Temp("__picked");
            reverse.Add(new DeclareCode("int", popped, at));
            at = Build.Var(ScalarKind.Int, popped);
        }

        reverse.Comment(loop.Comment + "   (only the iteration the running " + running + " picked last)");
        var pick = new CodeBlock();
        pick.Add(new AssignCode(counter, at));
        foreach (AssignStmt local in selection.Locals)
        {
            Recompute(pick, local);
        }

        ZeroIterationAdjoints(pick, loop);
        pick.Append(pickReverse);
        pick.Append(localsReverse);
        reverse.Add(new IfCode(Build.Compare(BinaryOp.GreaterOrEqual, at, Build.Int(0)), pick, new CodeBlock()));
        if (_c.Needs.IsNeeded(counter.Name))
        {
            reverse.Add(new AssignCode(counter, selection.Counter.Start));
        }

        return (forward, reverse);
    }

    /// <summary>
    /// An int the forward sweep keeps per run of a loop for the reverse sweep (a trip count, a picked iteration),
    /// starting at <paramref name="initial"/>: a local of the method outside loops and directly in a fused iteration
    /// (whose reverse follows within the iteration), else a local of the enclosing iteration (pushed on the int tape
    /// after the loop by <see cref="KeepLoopRecord"/>). Returns it.
    /// </summary>
    private VarExpr DeclareLoopRecord(CodeBlock forward, string prefix, int initial, int depth)
    {
        var name = Build.Var(ScalarKind.Int, _c.Temp(prefix));
        if (depth == 0 || depth == _fusedDepth)
        {
            _c.Declarations.Add(new DeclareCode("int", name.Name, Build.Int(initial)));
            forward.Add(new AssignCode(name, Build.Int(initial)));
        }
        else
        {
            forward.Add(new DeclareCode("int", name.Name, Build.Int(initial)));
        }

        return name;
    }

    /// <summary>After the loop: keeps the record for the reverse sweep and returns how the reverse sweep reads it (once).</summary>
    private Expr KeepLoopRecord(CodeBlock forward, VarExpr name, int depth)
    {
        // Outside loops, and directly in a fused iteration (whose reverse follows within the iteration), a method local.
        if (depth == 0 || depth == _fusedDepth)
        {
            return name;
        }

        forward.Add(new PushCode(_c.TapeFor(ScalarKind.Int), name));
        return new TapePopExpr(ScalarKind.Int, _c.TapeFor(ScalarKind.Int));
    }

    /// <summary>An iteration local computed again in the reverse sweep.</summary>
    private void Recompute(CodeBlock reverse, AssignStmt local)
        => reverse.Add(new AssignCode(Build.Var(_c.Variables[local.Target].Kind, local.Target), local.Value, Note: "recomputed: " + local.Comment));

    /// <summary>
    /// The adjoint of a local declared in the loop body is zero when the iteration's reverse starts (its
    /// statement's reverse resets it at the end of every iteration). Saying so here costs nothing and lets
    /// the first update overwrite instead of add (<see cref="AccumulationMerger"/>), so the adjoint is not
    /// carried from one iteration to the next and stays in a register.
    /// </summary>
    private void ZeroIterationAdjoints(CodeBlock output, LoopStmt loop)
    {
        foreach (AssignStmt local in _c.Recomputation.In(loop.Body).Where(a => _c.HasDerivative(a.Target)))
        {
            ScalarKind kind = _c.Variables[local.Target].Kind;
            output.Add(new AssignCode(Build.Var(kind, _c.Derivative(local.Target)), Build.Lit(0, kind)));
        }
    }
}
