using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <content>Loops: replayed backwards from their trip count, counted loops setting their counter, and selection loops differentiated at the picked iteration only.</content>
internal sealed partial class ReverseEmitter
{
    private (CodeBlock, CodeBlock) EmitLoop(LoopStmt loop, int depth)
    {
        if (!_fusedIteration && _c.Needs.Selections.Of(loop) is { } selection)
        {
            return EmitSelectionLoop(loop, selection, depth);
        }

        (CodeBlock bodyForward, CodeBlock bodyReverse) = EmitSequence(loop.Body, depth + 1);
        (CodeBlock stepForward, CodeBlock stepReverse) = EmitSequence(loop.Step, depth + 1);
        string condition = ExprPrinter.Print(loop.Condition);
        var forward = new CodeBlock().Line("// " + loop.Comment);
        var reverse = new CodeBlock();
        bool record = !(bodyReverse.IsEmpty && stepReverse.IsEmpty);
        LoopCounter? counter = record ? _c.Needs.CounterOf(loop) : null;
        // The trip count is all the reverse sweep needs to replay the loop (unless a counted loop's bound gives it again).
        string? trips = record && counter?.Bound is null ? DeclareLoopRecord(forward, "__trips", "0", depth) : null;

        using (forward.Block(loop.TestAtEnd ? "do" : $"while ({condition})"))
        {
            if (trips is not null)
            {
                forward.Line($"{trips}++;");
            }

            forward.Append(bodyForward);
            forward.Append(stepForward);
        }

        if (loop.TestAtEnd)
        {
            forward.Line($"while ({condition});");
        }

        if (!record)
        {
            return (forward, reverse);
        }

        string count;
        if (counter?.Bound is { } bound)
        {
            // A counted loop to an invariant bound: its trip count is known again in the reverse sweep.
            count = counter.Start is ConstExpr { Text: "0" }
                ? bound is LengthExpr ? ExprPrinter.Print(bound) : $"global::System.Math.Max(0, {ExprPrinter.Print(bound)})"
                : $"global::System.Math.Max(0, {ExprPrinter.Print(bound)} - {ExprPrinter.Paren(ExprPrinter.Print(counter.Start))})";
        }
        else
        {
            count = KeepLoopRecord(forward, trips!, depth);
        }

        string k = _c.Temp("__k");
        reverse.Line("// " + loop.Comment + "   (iterations replayed backwards)");
        if (counter is not null && _c.Needs.NeedsRestoreAt(counter.Step))
        {
            // The counter ends at start + trips: set there, not restored from the tape (each iteration's reverse then
            // undoes its step).
            string n = _c.Temp("__n");
            reverse.Line($"int {n} = {count};");
            reverse.Line(counter.Start is ConstExpr { Text: "0" } ? $"{counter.Name} = {n};" : $"{counter.Name} = {ExprPrinter.Paren(ExprPrinter.Print(counter.Start))} + {n};");
            count = n;
        }

        using (reverse.Block($"for (int {k} = {count}; {k} > 0; {k}--)"))
        {
            reverse.Append(stepReverse);

            // Locals of the iteration are recomputed from its (restored) inputs rather than read off a tape.
            foreach (AssignStmt local in _c.Recomputation.RecomputedIn(loop.Body).Where(a => _c.Needs.IsNeeded(a.Target)))
            {
                Recompute(reverse, local);
            }

            ZeroIterationAdjoints(reverse, loop);
            reverse.Append(bodyReverse);
        }

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
        AssignStmt statement = selection.Statement;
        (_, CodeBlock pickReverse) = EmitAssign(statement with { Value = selection.Candidate }, depth + 1);
        _noSaves = noSaves;

        VarInfo best = _c.Variables[statement.Target];
        string keyword = TypeClassifier.Keyword(best.Kind);
        string candidate = _c.Temp("__v");
        string counter = selection.Counter.Name;
        string running = selection.Call.Function == "Min" ? "minimum" : "maximum";
        var forward = new CodeBlock().Line("// " + loop.Comment + "   (a running " + running + ": the last iteration it picks is noted)");
        string picked = DeclareLoopRecord(forward, "__picked", "-1", depth);

        var rule = new DerivativeRules.Context(2, i => i == 0 ? statement.Target : candidate, () => statement.Target, selection.Call.Class, v => _c.Literal(v, best.Kind));
        string keepsBest = DerivativeRules.Selection(selection.Call.Function, rule)![0].Condition;
        using (forward.Block($"while ({ExprPrinter.Print(loop.Condition)})"))
        {
            forward.Append(localsForward);
            forward.Line("// " + statement.Comment);
            forward.Line($"{keyword} {candidate} = {ExprPrinter.Print(selection.Candidate)};");
            // A choice, not a branch: which candidate wins is data-dependent, and a mispredicted jump per pick cost more
            // than the rest of the iteration (the nearest-centre cost).
            forward.Line($"{picked} = {keepsBest} ? {picked} : {counter};");
            forward.Line($"{statement.Target} = {selection.Call.Class}.{selection.Call.Function}({statement.Target}, {candidate});");
            forward.Append(stepForward);
        }

        var reverse = new CodeBlock();
        string at = KeepLoopRecord(forward, picked, depth);
        if (depth > 0)
        {
            // Read twice below: popped once into a local.
            string popped = _c.Temp("__picked");
            reverse.Line($"int {popped} = {at};");
            at = popped;
        }

        reverse.Line("// " + loop.Comment + "   (only the iteration the running " + running + " picked last)");
        using (reverse.Block($"if ({at} >= 0)"))
        {
            reverse.Line($"{counter} = {at};");
            foreach (AssignStmt local in selection.Locals)
            {
                Recompute(reverse, local);
            }

            ZeroIterationAdjoints(reverse, loop);
            reverse.Append(pickReverse);
            reverse.Append(localsReverse);
        }

        if (_c.Needs.IsNeeded(counter))
        {
            reverse.Line($"{counter} = {ExprPrinter.Print(selection.Counter.Start)};");
        }

        return (forward, reverse);
    }

    /// <summary>
    /// An int the forward sweep keeps per run of a loop for the reverse sweep (a trip count, a picked iteration),
    /// starting at <paramref name="initial"/>: a local of the method outside loops, else a local of the enclosing
    /// iteration (pushed on the int tape after the loop by <see cref="KeepLoopRecord"/>). Returns its name.
    /// </summary>
    private string DeclareLoopRecord(CodeBlock forward, string prefix, string initial, int depth)
    {
        string name = _c.Temp(prefix);
        if (depth == 0)
        {
            _c.Declarations.Line($"int {name} = {initial};");
            forward.Line($"{name} = {initial};");
        }
        else
        {
            forward.Line($"int {name} = {initial};");
        }

        return name;
    }

    /// <summary>After the loop: keeps the record for the reverse sweep and returns how the reverse sweep reads it (once).</summary>
    private string KeepLoopRecord(CodeBlock forward, string name, int depth)
    {
        if (depth == 0)
        {
            return name;
        }

        forward.Line($"{_c.TapeFor(ScalarKind.Int)}.Push({name});");
        return $"{_c.TapeFor(ScalarKind.Int)}.Pop()";
    }

    /// <summary>An iteration local computed again in the reverse sweep.</summary>
    private static void Recompute(CodeBlock reverse, AssignStmt local)
        => reverse.Line($"{local.Target} = {ExprPrinter.Print(local.Value)};   // recomputed: {local.Comment}");

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
            output.Line($"{_c.Derivative(local.Target)} = {_c.Zero(_c.Variables[local.Target].Kind)};");
        }
    }
}
