using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <content>
/// Fused final loops and ifs: a method that ends in an accumulation loop (or an if) runs each iteration's reverse right
/// after its forward, writes adjoint arrays once per element where it can, and hands vectorisable loops to a lane method.
/// </content>
internal sealed partial class ReverseEmitter
{
    /// <summary>The accumulator of the method's final loop when <see cref="EmitBody"/> fuses it (the seed is then read every iteration), else null.</summary>
    public static string? FusedAccumulator(IReadOnlyList<Stmt> body, MethodContext context)
        => body.Count >= 2 && body[body.Count - 2] is LoopStmt loop ? LoopFusion.Accumulator(loop, body[body.Count - 1], context) : null;

    /// <param name="zeroed">The variable the statement before the loop sets to 0, if any.</param>
    /// <param name="headForward">The method's code before the loop, forward ...</param>
    /// <param name="headReverse">... and reverse.</param>
    private CodeBlock EmitFusedLoop(LoopStmt loop, string accumulator, Expr seed, string? zeroed, CodeBlock headForward, CodeBlock headReverse)
    {
        (CodeBlock stepForward, _) = EmitSequence(loop.Step, 1);
        var forward = new CodeBlock();
        forward.Comment(loop.Comment);
        forward.Comment($"(fused: the method returns {accumulator}, so its adjoint is the seed before the loop and each iteration's reverse runs right after it)");
        forward.Add(new AssignCode(Build.Var(seed.Kind, _c.Derivative(accumulator)), seed));
        // one iteration, forward then reverse: the scalar loop's body, and what a vector loop is written from
        var iteration = new CodeBlock();
        var after = new CodeBlock();
        if (LoopReruns.Carried(loop).Any(v => v != accumulator))
        {
            // Values carried from one iteration to the next may be put back by the reverse: set again after it.
            (iteration, _) = FusedIteration(loop, 1);
        }
        else
        {
            (IReadOnlyList<Stmt> straight, Stmt? last) = SplitFinal(loop.Body);
            (_fusedIteration, _fusedDepth) = (true, 1);
            (CodeBlock straightForward, CodeBlock straightReverse) = EmitSequence(straight, 1);
            iteration.Append(straightForward);
            iteration.Comment("-- reverse of this iteration");
            ZeroIterationAdjoints(iteration, loop);
            if (last is not null)
            {
                iteration.Append(EmitFusedLast(last, 1));
            }

            (_fusedIteration, _fusedDepth) = (false, -1);

            iteration.Append(straightReverse);
        }

        string[] sums = { accumulator };
        if (!VectorLoop(forward, LoopVectorisation.Analyse(loop, sums, _c, _c.Vectors), iteration, sums, sums, "The final loop", "forward and reverse of each iteration")
            && WriteOnce(iteration, loop, zeroed, headForward, headReverse, after) is { } once)
        {
            iteration = once;
        }

        iteration.Append(stepForward);
        List<(VarExpr Variable, VarExpr Saved)> kept = KeepForTheHead(loop, accumulator, headReverse);
        foreach ((VarExpr variable, VarExpr saved) in kept)
        {
            forward.Add(new AssignCode(saved, variable));
        }

        forward.Add(new WhileCode(loop.Condition, iteration, loop.TestAtEnd));
        forward.Append(after);
        foreach ((VarExpr variable, VarExpr saved) in kept)
        {
            forward.Add(new AssignCode(variable, saved));
        }

        return forward;
    }

    /// <summary>
    /// The scalars the fused loop writes (its counter above all, which no iteration's reverse puts back) that the
    /// reverse sweep of the code before the loop reads, each with a local keeping its value from before the loop: the
    /// reverse sweep runs after the whole loop, and must see them as the code before the loop left them (an if whose
    /// condition reads the counter, replayed on it).
    /// </summary>
    private List<(VarExpr Variable, VarExpr Saved)> KeepForTheHead(LoopStmt loop, string accumulator, CodeBlock headReverse)
    {
        var written = new HashSet<string>();
        ExprFacts.CollectWrites(loop.Body.Concat(loop.Step), written);
        var kept = new List<(VarExpr, VarExpr)>();
        foreach (string name in written.OrderBy(n => n, System.StringComparer.Ordinal))
        {
            if (name != accumulator && _c.Variables.TryGetValue(name, out VarInfo? variable) && variable.Shape == ShapeKind.Scalar && CodeFacts.Mentions(headReverse, name))
            {
                string saved = _c.Temp("__before");
                _c.Declarations.Add(new DeclareCode(TypeClassifier.Keyword(variable.Kind), saved, new OpaqueExpr(variable.Kind, "default")));
                kept.Add((Build.Var(variable.Kind, name), Build.Var(variable.Kind, saved)));
            }
        }

        return kept;
    }

    /// <summary>
    /// When the loop runs its counter over every index of a differentiable array parameter but the last k (<c>i = 0</c>
    /// just before it, <c>i &lt; x.Length - k</c> with k from 0 to 4, <c>i++</c>, nothing else writes <c>i</c>), its
    /// merged iteration updates that array's adjoint only at <c>dx[i]</c> ... <c>dx[i + k]</c>, outside any branch, one
    /// statement per element, and nothing else in the method touches the adjoint, then each element can be written once
    /// instead of cleared and then added to: the iteration writes <c>dx[i]</c> (its own update plus what earlier
    /// iterations added to that element, carried in locals) and carries its updates of <c>dx[i + 1]</c> ... forward;
    /// after the loop the last k elements get the carries. Saves a pass over the array and a load per element (a
    /// stencil like Rosenbrock's also saves a store). <see cref="MethodContext.WrittenOnce"/> then skips the clear.
    /// Returns the rewritten iteration (<paramref name="after"/> gets the tail), or null.
    /// </summary>
    private CodeBlock? WriteOnce(CodeBlock iteration, LoopStmt loop, string? zeroed, CodeBlock headForward, CodeBlock headReverse, CodeBlock after)
    {
        int k = 0;
        string? array = null;
        switch (loop.Condition)
        {
            case BinaryExpr { Op: BinaryOp.Less, Right: LengthExpr length }:
                array = length.Array;
                break;
            case BinaryExpr { Op: BinaryOp.Less, Right: BinaryExpr { Op: BinaryOp.Subtract, Left: LengthExpr length, Right: ConstExpr { Kind: ScalarKind.Int } c } }
                when int.TryParse(c.Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out k) && k <= 4:
                array = length.Array;
                break;
        }

        VarInfo? parameter = array is null ? null : _c.Method.Parameters.FirstOrDefault(p => p.Name == array && p.Differentiable && p.Shape != ShapeKind.Scalar);
        if (parameter is null || zeroed is null || loop.TestAtEnd
            || loop.Condition is not BinaryExpr { Left: VarExpr { Name: var counter } } || counter != zeroed
            || ExprFacts.UnitStepCounter(loop) != counter)
        {
            return null;
        }

        var writes = new HashSet<string>();
        ExprFacts.CollectWrites(loop.Body, writes);
        string adjoint = _c.Derivative(parameter.Name);
        if (writes.Contains(counter) || CodeFacts.Mentions(headForward, adjoint) || CodeFacts.Mentions(headReverse, adjoint))
        {
            return null;
        }

        // the statements that mention the adjoint: consecutive updates dx[i + c], 0 <= c <= k, one per c
        IReadOnlyList<Code> merged = AccumulationMerger.Merge(iteration).Items;
        var terms = new Expr?[k + 1];
        int first = -1, last = -1;
        for (int line = 0; line < merged.Count; line++)
        {
            if (merged[line] is CommentCode or BlankCode || !CodeFacts.Mentions(merged[line], adjoint))
            {
                continue;
            }

            if ((first >= 0 && line != last + 1)
                || merged[line] is not AssignCode { Add: true, Target: ElemExpr { Array: var target, Index: var index }, Value: var term }
                || target != adjoint || ExprFacts.Reads(term).Contains(adjoint)
                || AccumulationMerger.IndexOffset(index) is not { } offset
                || offset.Variable != counter || offset.Offset < 0 || offset.Offset > k || terms[offset.Offset] is not null)
            {
                return null;
            }

            terms[offset.Offset] = term;
            first = first < 0 ? line : first;
            last = line;
        }

        if (first < 0)
        {
            return null;
        }

        // carries[m]: what earlier iterations added to dx[i + m] (m < k)
        string type = TypeClassifier.Keyword(parameter.Kind);
        var carries = new List<VarExpr>();
        for (int m = 0; m < k; m++)
        {
            string carry = _c.Temp("__carry");
            _c.Declarations.Add(new DeclareCode(type, carry, Build.Lit(0, parameter.Kind)));
            carries.Add(Build.Var(parameter.Kind, carry));
        }

        string ahead = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Expr Sum(Expr? carry, Expr? term) => carry is null ? term ?? Build.Lit(0, parameter.Kind) : term is null ? carry : Build.Add(carry, term);
        var counterValue = Build.Var(ScalarKind.Int, counter);
        Expr Element(int m) => Build.Offset(counterValue, m);
        var output = new CodeBlock();
        for (int line = 0; line < merged.Count; line++)
        {
            if (line < first || line > last)
            {
                output.Add(merged[line]);
            }
            else if (line == first)
            {
                string note = k == 0 ? $"each element written once: {adjoint} is not cleared first" : $"each element written once, updates of the next {(k == 1 ? "one" : ahead)} carried: {adjoint} is not cleared first";
                output.Add(new AssignCode(new ElemExpr(parameter.Kind, adjoint, counterValue), Sum(k > 0 ? carries[0] : null, terms[0]), Note: note));
                for (int m = 0; m < k; m++)
                {
                    output.Add(new AssignCode(carries[m], Sum(m + 1 < k ? carries[m + 1] : null, terms[m + 1])));
                }
            }
        }

        if (k > 0)
        {
            after.Comment($"the last {(k == 1 ? "element" : ahead + " elements")} of {adjoint}: what the loop carried (nothing when it did not run)");
            for (int m = 0; m < k; m++)
            {
                var assign = new CodeBlock().Add(new AssignCode(new ElemExpr(parameter.Kind, adjoint, Element(m)), carries[m]));
                after.Add(new IfCode(Build.Compare(BinaryOp.Less, Element(m), new LengthExpr(adjoint)), assign, new CodeBlock()));
            }
        }

        _c.WrittenOnce.Add(adjoint);
        return output;
    }

    /// <summary>
    /// The statements before a final <c>if</c> or a final loop whose iterations commute, and that statement (null when
    /// the sequence ends otherwise): its reverse is the first of the iteration's, so it can run right after its forward.
    /// </summary>
    private (IReadOnlyList<Stmt> Head, Stmt? Last) SplitFinal(IReadOnlyList<Stmt> statements)
        => statements.Count > 0 && statements[statements.Count - 1] is var last
            && (last is IfStmt || (last is LoopStmt loop && _c.Needs.Selections.Of(loop) is null && LoopReruns.Commutes(loop, _c.Activity)))
            ? (statements.Take(statements.Count - 1).ToList(), last)
            : (statements, null);

    private CodeBlock EmitFusedLast(Stmt statement, int depth)
        => statement is IfStmt branch ? EmitFusedIf(branch, depth) : EmitFusedInnerLoop((LoopStmt)statement, depth);

    /// <summary>
    /// An <c>if</c> whose reverse runs right after its forward (the last statement of a fused iteration, or of a branch
    /// of one): each branch is followed by its own reverse, so the branch is taken once, not once forward and once
    /// again to replay it, and nothing records which branch ran. A branch that itself ends with an <c>if</c> or a loop
    /// nests the same way (else-if chains).
    /// </summary>
    private CodeBlock EmitFusedIf(IfStmt statement, int depth)
    {
        var output = new CodeBlock().Comment($"{statement.Comment}   (each branch followed by its reverse)");
        output.Add(new IfCode(statement.Condition, EmitFusedBranch(statement.Then, depth), EmitFusedBranch(statement.Else, depth)));
        return output;
    }

    private CodeBlock EmitFusedBranch(IReadOnlyList<Stmt> statements, int depth)
    {
        (IReadOnlyList<Stmt> head, Stmt? last) = SplitFinal(statements);
        (CodeBlock forward, CodeBlock reverse) = EmitSequence(head, depth);
        var output = new CodeBlock();
        output.Append(forward);
        if (last is not null)
        {
            output.Append(EmitFusedLast(last, depth));
        }
        else if (!reverse.IsEmpty)
        {
            output.Comment("-- reverse of this branch");
        }

        output.Append(reverse);
        return output;
    }

    /// <summary>
    /// A loop whose reverse runs right after its forward (the last statement of a fused iteration or branch) and whose
    /// iterations commute (<see cref="LoopReruns.Commutes"/>): each of its iterations is followed by its own reverse,
    /// so nothing is recomputed or taped per iteration. The code before it in the enclosing iteration is reversed
    /// afterwards, from the values it left: what the loop overwrote that that reverse reads is put back after it.
    /// </summary>
    private CodeBlock EmitFusedInnerLoop(LoopStmt loop, int depth)
    {
        var output = new CodeBlock().Comment($"{loop.Comment}   (each iteration followed by its reverse)");
        var restores = new List<(VarExpr Variable, Expr Value)>();
        foreach (string name in LoopReruns.Written(loop).Where(name => RestoresOldValue(loop, name)))
        {
            // In a fused iteration: kept in a method local (nothing is popped).
            restores.Add((Build.Var(_c.Variables[name].Kind, name), EntryValue(loop, name, depth, output, new List<Code>())));
        }

        (CodeBlock iteration, CodeBlock step) = FusedIteration(loop, depth + 1);
        if (VectorPlanOf(loop) is { } vector)
        {
            VectorLoop(output, vector.Plan, iteration, vector.Accumulators, vector.Accumulators, "A loop", "forward and reverse of each iteration");
        }

        iteration.Append(step);
        output.Add(new WhileCode(loop.Condition, iteration, loop.TestAtEnd));
        foreach ((VarExpr variable, Expr value) in restores)
        {
            output.Add(new AssignCode(variable, value));
        }

        return output;
    }
}
