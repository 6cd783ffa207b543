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

        LoopCounter? counter = _c.Needs.CounterOf(loop);
        var forward = new CodeBlock().Comment(loop.Comment + "   (run again by the reverse sweep)");
        var reverse = new CodeBlock().Comment(loop.Comment + "   (run again forwards, each iteration's reverse right after it)");
        var before = new List<(VarExpr Variable, Expr Value)>();
        var after = new List<(VarExpr Variable, Expr Value)>();
        var popped = new List<Code>();
        foreach (string name in written)
        {
            VarInfo variable = _c.Variables[name];
            var value = Build.Var(variable.Kind, name);
            bool restores = ExprFacts.Flatten(loop.Body.Concat(loop.Step)).Any(s => s.Statement is AssignStmt a && a.Target == name && _c.Needs.NeedsRestoreAt(a));
            if (!exposed.Contains(name) && !restores)
            {
                continue;
            }

            Expr start;
            if (counter is not null && counter.Name == name)
            {
                start = counter.Start;
            }
            else if (depth == 0)
            {
                string slot = _c.Temp("__entry");
                _c.Declarations.Add(new DeclareCode(TypeClassifier.Keyword(variable.Kind), slot, new OpaqueExpr(variable.Kind, "default")));
                forward.Add(new AssignCode(Build.Var(variable.Kind, slot), value));
                start = Build.Var(variable.Kind, slot);
            }
            else
            {
                // Pushed before the loop, popped once into a local (in the reverse order of the pushes): put back twice.
                Expr pop = ((AssignCode)Save(forward, value, variable.Kind, depth)).Value;
                string temp = _c.Temp("__entry");
                popped.Insert(0, new DeclareCode(TypeClassifier.Keyword(variable.Kind), temp, pop));
                start = Build.Var(variable.Kind, temp);
            }

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
        var declared = new HashSet<string>(ExprFacts.Flatten(loop.Body).Select(s => s.Statement).OfType<AssignStmt>().Where(a => a.IsDeclaration).Select(a => a.Target));
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
            var reads = CodeFacts.ExprReads(condition);
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
        HashSet<string> exposed = CodeFacts.ExprReads(loop.Condition);
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
