using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <content>
/// Loops whose iterations run again in the reverse sweep: loops run again forwards (<see cref="LoopReruns"/>), the
/// replay of a checkpointed iteration, and the fused iteration both share.
/// </content>
internal sealed partial class ReverseEmitter
{
    /// <summary>
    /// A loop the reverse sweep runs again (<see cref="LoopReruns"/>): the forward sweep runs it with no saves, keeping
    /// first the values it is about to overwrite that the reverse sweep needs; the reverse sweep puts back those the
    /// run reads before writing, runs the loop again with each iteration's reverse right after it (what an iteration
    /// overwrites and its own reverse needs is kept in a local for the length of the iteration; what nothing in the
    /// run reads is not computed), and puts back, for the code before the loop, those whose old values the reverse
    /// sweep reads (<see cref="ReverseNeeds.NeedsRestoreAt"/> of the loop's writes). A counted loop's counter starts
    /// from its start value, not from a saved one.
    /// </summary>
    private (CodeBlock, CodeBlock) EmitRerunLoop(LoopStmt loop, int depth)
    {
        // The run, built first: what it reads before writing decides what the forward sweep keeps.
        (CodeBlock iteration, CodeBlock step) = FusedIteration(loop, depth + 1);
        iteration.Append(step);
        IReadOnlyList<string> written = LoopReruns.Written(loop);
        var rerun = new WhileCode(loop.Condition, WithoutDeadWrites(iteration, loop.Condition, new HashSet<string>(written)), loop.TestAtEnd);
        HashSet<string> exposed = ReadBeforeWritten(rerun);

        var forward = new CodeBlock().Comment(loop.Comment + "   (run again by the reverse sweep)");
        var reverse = new CodeBlock().Comment(loop.Comment + "   (run again forwards, each iteration's reverse right after it)");
        var before = new List<(VarExpr Variable, Expr Value)>();
        var after = new List<(VarExpr Variable, Expr Value)>();
        var popped = new List<Code>();
        foreach (string name in written)
        {
            bool restores = RestoresOldValue(loop, name);
            if (!exposed.Contains(name) && !restores)
            {
                continue;
            }

            var value = Build.Var(_c.Variables[name].Kind, name);
            Expr start = EntryValue(loop, name, depth, forward, popped);
            if (exposed.Contains(name))
            {
                before.Add((value, start));
            }

            if (restores)
            {
                after.Add((value, start));
            }
        }

        bool noSaves = _noSaves;
        _noSaves = true;
        (CodeBlock bodyForward, _) = EmitSequence(loop.Body, depth + 1);
        (CodeBlock stepForward, _) = EmitSequence(loop.Step, depth + 1);
        _noSaves = noSaves;
        bodyForward.Append(stepForward);
        forward.Add(new WhileCode(loop.Condition, bodyForward, loop.TestAtEnd));

        foreach (Code pop in popped)
        {
            reverse.Add(pop);
        }

        foreach ((VarExpr variable, Expr value) in before)
        {
            reverse.Add(new AssignCode(variable, value));
        }

        reverse.Add(rerun);
        foreach ((VarExpr variable, Expr value) in after)
        {
            reverse.Add(new AssignCode(variable, value));
        }

        return (forward, reverse);
    }

    /// <summary>Whether the reverse sweep reads the old value of <paramref name="name"/> that one of the loop's writes overwrites (<see cref="ReverseNeeds.NeedsRestoreAt"/>).</summary>
    private bool RestoresOldValue(LoopStmt loop, string name)
        => ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Any(s => s.Statement is AssignStmt a && a.Target == name && _c.Needs.NeedsRestoreAt(a));

    /// <summary>
    /// The value a variable the loop writes had where the loop started, as the reverse sweep reads it: a counted loop's
    /// counter from its start value; anything else kept before the loop, in a method local outside loops and in a fused
    /// iteration (whose reverse follows within it), else on the tape, popped once into a local (added to
    /// <paramref name="popped"/> in the reverse order of the pushes).
    /// </summary>
    private Expr EntryValue(LoopStmt loop, string name, int depth, CodeBlock forward, List<Code> popped)
    {
        if (_c.Needs.CounterOf(loop) is { } counter && counter.Name == name)
        {
            return counter.Start;
        }

        ScalarKind kind = _c.Variables[name].Kind;
        var value = Build.Var(kind, name);
        if (depth == 0 || depth == _fusedDepth)
        {
            VarExpr slot = DeclareSlot("__entry", kind);
            forward.Add(new AssignCode(slot, value));
            return slot;
        }

        var temp = Build.Var(kind, _c.Temp("__entry"));
        popped.Insert(0, new DeclareCode(TypeClassifier.Keyword(kind), temp.Name, TapePush(forward, value, kind)));
        return temp;
    }

    /// <summary>
    /// The reverse of one iteration of a checkpointed loop: the carried values it started from, popped (in the reverse
    /// order of the pushes) and put back; the body run again with each statement's reverse after it; the carried values
    /// put back once more, which is where the iteration before ended.
    /// </summary>
    private CodeBlock CheckpointReplay(LoopStmt loop, int depth, List<(VarExpr Variable, Expr Pop)> carried)
    {
        var replay = new CodeBlock();
        var starts = new List<(VarExpr Variable, VarExpr Start)>();
        for (int i = carried.Count - 1; i >= 0; i--)
        {
            var start = Build.Var(carried[i].Variable.Kind, _c.Temp("__start"));
            replay.Add(new DeclareCode(TypeClassifier.Keyword(start.Kind), start.Name, carried[i].Pop));
            starts.Insert(0, (carried[i].Variable, start));
        }

        foreach ((VarExpr variable, VarExpr start) in starts)
        {
            replay.Add(new AssignCode(variable, start));
        }

        (bool fused, int fusedDepth) = (_fusedIteration, _fusedDepth);
        (_fusedIteration, _fusedDepth) = (true, depth);
        (CodeBlock forward, CodeBlock reverse) = EmitSequence(loop.Body, depth);
        (_fusedIteration, _fusedDepth) = (fused, fusedDepth);
        replay.Append(forward);
        replay.Comment("-- reverse of this iteration");
        ZeroIterationAdjoints(replay, loop);
        replay.Append(reverse);
        foreach ((VarExpr variable, VarExpr start) in starts)
        {
            replay.Add(new AssignCode(variable, start));
        }

        return replay;
    }

    /// <summary>
    /// One iteration of a loop whose reverse runs right after its forward: the body forward, then its reverse (nothing
    /// taped across iterations). Variables the loop carries from one iteration to the next that the
    /// reverse puts back (a value it saved, a nested loop's restores) are set again to what the forward part left, so
    /// that the next iteration continues from there. Returns the iteration and, apart, the step's forward code.
    /// </summary>
    private (CodeBlock Iteration, CodeBlock Step) FusedIteration(LoopStmt loop, int depth)
    {
        (bool fused, int fusedDepth) = (_fusedIteration, _fusedDepth);
        (_fusedIteration, _fusedDepth) = (true, depth);
        (CodeBlock forward, CodeBlock reverse) = EmitSequence(loop.Body, depth);
        (CodeBlock step, _) = EmitSequence(loop.Step, depth);
        (_fusedIteration, _fusedDepth) = (fused, fusedDepth);
        var iteration = new CodeBlock();
        iteration.Append(forward);
        iteration.Comment("-- reverse of this iteration");
        List<(VarExpr Variable, VarExpr Value)> continued = Continued(loop, reverse);
        foreach ((VarExpr variable, VarExpr value) in continued)
        {
            iteration.Add(new DeclareCode(TypeClassifier.Keyword(variable.Kind), value.Name, variable));
        }

        ZeroIterationAdjoints(iteration, loop);
        iteration.Append(reverse);
        foreach ((VarExpr variable, VarExpr value) in continued)
        {
            iteration.Add(new AssignCode(variable, value));
        }

        return (iteration, step);
    }

    /// <summary>The variables the loop carries across iterations that <paramref name="reverse"/> writes, each with a fresh local to keep its value in.</summary>
    private List<(VarExpr Variable, VarExpr Value)> Continued(LoopStmt loop, CodeBlock reverse)
    {
        HashSet<string> declared = LoopReruns.Declared(loop);
        HashSet<string> rewritten = CodeFacts.AllWrites(reverse);
        return LoopReruns.Written(loop).Where(v => !declared.Contains(v) && rewritten.Contains(v))
            .Select(v => (Build.Var(_c.Variables[v].Kind, v), Build.Var(_c.Variables[v].Kind, _c.Temp("__after"))))
            .ToList();
    }

    /// <summary>
    /// The iteration without the writes of the loop's variables (and the temps) that nothing in the loop reads but the
    /// writes themselves (a running sum only the forward sweep needed): the run leaves such a variable as the forward
    /// sweep left it, and what it would have computed is the same.
    /// </summary>
    private static CodeBlock WithoutDeadWrites(CodeBlock iteration, Expr condition, HashSet<string> written)
    {
        List<Code> items = iteration.Items.ToList();
        while (true)
        {
            var reads = ExprFacts.Reads(condition);
            foreach (Code code in items)
            {
                HashSet<string> own = code is AssignCode { Target: VarExpr self } ? new HashSet<string> { self.Name } : new HashSet<string>();
                HashSet<string>? codeReads = CodeFacts.Reads(code);
                if (codeReads is null)
                {
                    return new CodeBlock(items); // a compound statement: keep everything
                }

                codeReads.ExceptWith(own);
                reads.UnionWith(codeReads);
            }

            int removed = items.RemoveAll(code => code switch
            {
                AssignCode { Add: false, Note: null, Target: VarExpr v } => written.Contains(v.Name) && !reads.Contains(v.Name),
                DeclareCode { Name: var temp, Value: not null } => temp.StartsWith("__", System.StringComparison.Ordinal) && !reads.Contains(temp),
                _ => false,
            });
            if (removed == 0)
            {
                return new CodeBlock(items);
            }
        }
    }

    /// <summary>The names a loop reads in some iteration before that iteration (or its condition) has written them.</summary>
    private static HashSet<string> ReadBeforeWritten(WhileCode loop)
    {
        HashSet<string> exposed = ExprFacts.Reads(loop.Condition);
        var written = new HashSet<string>();
        foreach (Code code in loop.Body.Items)
        {
            if (CodeFacts.Reads(code) is not { } reads || CodeFacts.Writes(code) is not { } writes)
            {
                // A compound statement: whatever it mentions may be read first.
                foreach (string name in CodeFacts.AllNames(code))
                {
                    if (!written.Contains(name))
                    {
                        exposed.Add(name);
                    }
                }

                continue;
            }

            reads.ExceptWith(written);
            exposed.UnionWith(reads);
            written.UnionWith(writes);
        }

        return exposed;
    }
}
