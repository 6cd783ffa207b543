using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Transforms;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Reverse mode: emits, for each statement, its forward-sweep code (the primal, plus a save of any value the
/// reverse sweep will need before it is overwritten) and its reverse-sweep code (restore, then the chain
/// rule applied backwards). Sequences put the reverse pieces in reverse order; branches replay the branch
/// taken and loops their trip count. Outside loops, saves go to plain locals ("slots"); inside loops, to a
/// pooled tape.
/// </summary>
internal sealed partial class ReverseEmitter
{
    private readonly MethodContext _c;

    // The method's statements (set by EmitBody) and, per scalar variable, whether an assignment's result is still in
    // it when the reverse sweep reaches that assignment (AssignedValueStaysPut, computed on first use).
    private IReadOnlyList<Stmt>? _body;
    private Dictionary<string, bool>? _staysPut;

    // While a statement's chain rule is written: where Value() records the transcendental values to store (null: recompute).
    private List<(Expr Node, string Name)>? _stored;

    // While a fused iteration is written: its reverse runs right after its forward, so nothing is stored.
    private bool _fusedIteration;

    public ReverseEmitter(MethodContext context) => _c = context;

    /// <summary>The method's body: like <see cref="EmitSequence"/>, but a final accumulation loop is fused (see <see cref="LoopFusion"/>).</summary>
    public (CodeBlock Forward, CodeBlock Reverse) EmitBody(IReadOnlyList<Stmt> body, string seed)
    {
        _body = body;
        if (FusedAccumulator(body, _c) is { } accumulator)
        {
            var loop = (LoopStmt)body[body.Count - 2];
            (CodeBlock forward, CodeBlock reverse) = EmitSequence(body.Take(body.Count - 2), 0);
            string? zeroed = body.Count >= 3 && body[body.Count - 3] is AssignStmt { Index: null, Value: ConstExpr { Text: "0" } } start ? start.Target : null;
            forward.Append(EmitFusedLoop(loop, accumulator, seed, zeroed, forward, reverse));
            var tail = (AssignStmt)body[body.Count - 1];
            forward.Line("// " + tail.Comment);
            forward.Line($"{tail.Target} = {ExprPrinter.Print(tail.Value)};");
            return (forward, reverse);
        }

        return EmitSequence(body, 0);
    }

    /// <summary>The accumulator of the method's final loop when <see cref="EmitBody"/> fuses it (the seed is then read every iteration), else null.</summary>
    public static string? FusedAccumulator(IReadOnlyList<Stmt> body, MethodContext context)
        => body.Count >= 2 && body[body.Count - 2] is LoopStmt loop ? LoopFusion.Accumulator(loop, body[body.Count - 1], context) : null;

    /// <param name="zeroed">The variable the statement before the loop sets to 0, if any.</param>
    /// <param name="headForward">The method's code before the loop, forward ...</param>
    /// <param name="headReverse">... and reverse.</param>
    private CodeBlock EmitFusedLoop(LoopStmt loop, string accumulator, string seed, string? zeroed, CodeBlock headForward, CodeBlock headReverse)
    {
        (CodeBlock stepForward, _) = EmitSequence(loop.Step, 1);
        string condition = ExprPrinter.Print(loop.Condition);
        var forward = new CodeBlock();
        forward.Line($"// {loop.Comment}");
        forward.Line($"// (fused: the method returns {accumulator}, so its adjoint is the seed before the loop and each iteration's reverse runs right after it)");
        forward.Line($"{_c.Derivative(accumulator)} = {seed};");
        // one iteration, forward then reverse: the scalar loop's body, and what a vector loop is written from
        var iteration = new CodeBlock();
        var after = new CodeBlock();
        (IReadOnlyList<Stmt> straight, IfStmt? last) = SplitFinalIf(loop.Body);
        _fusedIteration = true;
        (CodeBlock straightForward, CodeBlock straightReverse) = EmitSequence(straight, 1);
        iteration.Append(straightForward);
        iteration.Line("// -- reverse of this iteration");
        ZeroIterationAdjoints(iteration, loop);
        if (last is not null)
        {
            iteration.Append(EmitFusedIf(last, 1));
        }

        _fusedIteration = false;

        iteration.Append(straightReverse);
        if (LoopVectorisation.Analyse(loop, accumulator, _c, _c.Vectors) is { } plan
            && LaneRewriter.Rewrite(AccumulationMerger.Merge(iteration), plan, accumulator, _c) is { } lanes)
        {
            EmitLaneCall(forward, plan, lanes, accumulator);
        }
        else if (WriteOnce(iteration, loop, zeroed, headForward, headReverse, after) is { } once)
        {
            iteration = once;
        }

        using (forward.Block(loop.TestAtEnd ? "do" : $"while ({condition})"))
        {
            forward.Append(iteration);
            forward.Append(stepForward);
        }

        if (loop.TestAtEnd)
        {
            forward.Line($"while ({condition});");
        }

        forward.Append(after);
        return forward;
    }

    /// <summary>
    /// When the loop runs its counter over every index of a differentiable array parameter but the last k (<c>i = 0</c>
    /// just before it, <c>i &lt; x.Length - k</c> with k from 0 to 4, <c>i++</c>, nothing else writes <c>i</c>), its
    /// merged iteration updates that array's adjoint only at <c>dx[i]</c> ... <c>dx[i + k]</c>, outside any branch, one
    /// line per element, and nothing else in the method touches the adjoint, then each element can be written once
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
        if (writes.Contains(counter) || headForward.Lines.Concat(headReverse.Lines).Any(l => AccumulationMerger.Mentions(l.Text, adjoint)))
        {
            return null;
        }

        // the lines that mention the adjoint: consecutive updates dx[i + c], 0 <= c <= k, one per c
        CodeBlock merged = AccumulationMerger.Merge(iteration);
        var terms = new string?[k + 1];
        int first = -1, last = -1;
        for (int line = 0; line < merged.Lines.Count; line++)
        {
            (int indent, string text) = merged.Lines[line];
            if (!AccumulationMerger.Mentions(text, adjoint))
            {
                continue;
            }

            if ((first >= 0 && line != last + 1) || indent != 0
                || !AccumulationMerger.TryAccumulation(text.Trim(), out string target, out string term)
                || !target.StartsWith(adjoint + "[", System.StringComparison.Ordinal) || AccumulationMerger.Mentions(term, adjoint)
                || AccumulationMerger.IndexOffset(target.Substring(adjoint.Length + 1, target.Length - adjoint.Length - 2)) is not { } index
                || index.Variable != counter || index.Offset < 0 || index.Offset > k || terms[index.Offset] is not null)
            {
                return null;
            }

            terms[index.Offset] = term;
            first = first < 0 ? line : first;
            last = line;
        }

        if (first < 0)
        {
            return null;
        }

        // carries[m]: what earlier iterations added to dx[i + m] (m < k)
        string type = TypeClassifier.Keyword(parameter.Kind);
        string zero = _c.Zero(parameter.Kind);
        var carries = new List<string>();
        for (int m = 0; m < k; m++)
        {
            string carry = _c.Temp("__carry");
            _c.Declarations.Line($"{type} {carry} = {zero};");
            carries.Add(carry);
        }

        string ahead = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Sum(string? carry, string? term) => carry is null ? term ?? zero : term is null ? carry : $"{carry} + {AccumulationMerger.Protect(term)}";
        var output = new CodeBlock();
        for (int line = 0; line < merged.Lines.Count; line++)
        {
            if (line < first || line > last)
            {
                output.LineAt(merged.Lines[line].Indent, merged.Lines[line].Text);
            }
            else if (line == first)
            {
                string note = k == 0 ? $"each element written once: {adjoint} is not cleared first" : $"each element written once, updates of the next {(k == 1 ? "one" : ahead)} carried: {adjoint} is not cleared first";
                output.LineAt(0, $"{adjoint}[{counter}] = {Sum(k > 0 ? carries[0] : null, terms[0])};   // {note}");
                for (int m = 0; m < k; m++)
                {
                    output.LineAt(0, $"{carries[m]} = {Sum(m + 1 < k ? carries[m + 1] : null, terms[m + 1])};");
                }
            }
        }

        if (k > 0)
        {
            after.Line($"// the last {(k == 1 ? "element" : ahead + " elements")} of {adjoint}: what the loop carried (nothing when it did not run)");
            for (int m = 0; m < k; m++)
            {
                string element = LaneRewriter.IndexText(counter, m);
                after.Line($"if ({element} < {adjoint}.Length) {adjoint}[{element}] = {carries[m]};");
            }
        }

        _c.WrittenOnce.Add(adjoint);
        return output;
    }

    /// <summary>The statements before a final <c>if</c>, and that <c>if</c> (null when the sequence does not end with one).</summary>
    private static (IReadOnlyList<Stmt> Head, IfStmt? Last) SplitFinalIf(IReadOnlyList<Stmt> statements)
        => statements.Count > 0 && statements[statements.Count - 1] is IfStmt last
            ? (statements.Take(statements.Count - 1).ToList(), last)
            : (statements, null);

    /// <summary>
    /// An <c>if</c> whose reverse runs right after its forward (the last statement of a fused iteration, or of a branch
    /// of one): each branch is followed by its own reverse, so the branch is taken once, not once forward and once
    /// again to replay it, and nothing records which branch ran. A branch that itself ends with an <c>if</c> nests
    /// the same way (else-if chains).
    /// </summary>
    private CodeBlock EmitFusedIf(IfStmt statement, int depth)
    {
        var output = new CodeBlock().Line($"// {statement.Comment}   (each branch followed by its reverse)");
        WriteIf(output, ExprPrinter.Print(statement.Condition), EmitFusedBranch(statement.Then, depth), EmitFusedBranch(statement.Else, depth));
        return output;
    }

    private CodeBlock EmitFusedBranch(IReadOnlyList<Stmt> statements, int depth)
    {
        (IReadOnlyList<Stmt> head, IfStmt? last) = SplitFinalIf(statements);
        (CodeBlock forward, CodeBlock reverse) = EmitSequence(head, depth);
        var output = new CodeBlock();
        output.Append(forward);
        if (last is not null)
        {
            output.Append(EmitFusedIf(last, depth));
        }
        else if (!reverse.IsEmpty)
        {
            output.Line("// -- reverse of this branch");
        }

        output.Append(reverse);
        return output;
    }

    /// <summary>
    /// Runs the loop's whole vectors of iterations in the lane method (written into <see cref="MethodContext.LaneMethod"/>)
    /// before the scalar loop, which then does the rest. The vector loop's bound keeps every element it touches
    /// inside its array, so an index the scalar loop would find out of range is left to the scalar loop to throw on.
    /// </summary>
    private void EmitLaneCall(CodeBlock forward, LoopVectorisation.Plan plan, LaneRewriter.Lanes lanes, string accumulator)
    {
        string t = _c.T;
        string name = LaneMethodName(_c.Method);
        var bounds = new List<string> { ExprPrinter.Print(plan.End) };
        foreach (IGrouping<string, (string Array, int Offset)> array in lanes.Accesses.GroupBy(a => a.Array))
        {
            // the highest element the block of iterations below the bound touches in each array is inside it
            int offset = array.Max(a => a.Offset);
            string bound = LaneRewriter.IndexText($"{array.Key}.Length", -offset);
            if (!bounds.Contains(bound))
            {
                bounds.Add(bound);
            }
        }

        string end = bounds[bounds.Count - 1];
        for (int k = bounds.Count - 2; k >= 0; k--)
        {
            end = $"global::System.Math.Min({bounds[k]}, {end})";
        }

        int lowest = lanes.Accesses.Min(a => a.Offset);
        var parameters = new List<string> { "ref int __index", "int __end" };
        parameters.AddRange(lanes.Inputs.Select(a => $"global::System.ReadOnlySpan<{t}> {a}"));
        parameters.AddRange(lanes.Outputs.Select(a => $"global::System.Span<{t}> {a}"));
        parameters.AddRange(lanes.Invariants.Select(v => $"{t} {v}"));
        parameters.AddRange(lanes.Reductions.Select((r, k) => $"ref {t} __total{k + 1}"));
        string arguments = string.Join(", ", lanes.Inputs.Concat(lanes.Outputs).Concat(lanes.Invariants).Concat(lanes.Reductions.Select(r => "ref " + r)));
        string endName = _c.Fresh("__end");
        forward.Line($"// (vectorised: whole vectors of iterations run in {name}, one iteration per lane; the loop below does the rest)");
        using (forward.Block($"if ({plan.Counter} >= {-lowest})"))
        {
            forward.Line($"int {endName} = global::System.Math.Max(0, {end});");
            string keyword = "if";
            foreach ((string lane, string test) in LaneTypes.Widths)
            {
                forward.Line($"{keyword} ({test}) {accumulator} = {accumulator} + {name}<{lane}<{t}>>(ref {plan.Counter}, {endName}, {arguments});");
                keyword = "else if";
            }
        }

        var method = new CodeBlock();
        method.Line($"/// <summary>The final loop of <see cref=\"{_c.Method.Name}\"/>, forward and reverse of each iteration, on whole vectors of lanes of");
        method.Line($"/// <typeparamref name=\"TL\"/> (one iteration per lane) from <paramref name=\"__index\"/> while all of them are below");
        if (lanes.Reductions.Count > 0)
        {
            method.Line($"/// <paramref name=\"__end\"/>; advances <paramref name=\"__index\"/>, adds the lanes' sums of the adjoints of values the loop");
            method.Line($"/// does not change to the totals passed by reference, and returns the lanes' sum of {accumulator}.</summary>");
        }
        else
        {
            method.Line($"/// <paramref name=\"__end\"/>; advances <paramref name=\"__index\"/> and returns the lanes' sum of {accumulator}.</summary>");
        }

        DerivativeEmitter.WriteAttributes(method, _c);
        // Never inlined: inlined into its caller (AggressiveInlining until session 10) it ran 13x slower as soon as the
        // caller lost its inline throw (Rosenbrock N = 10 000: 48 µs against 3.5), the lane structs no longer kept in
        // registers; as a call it costs nothing measurable (3.50 µs, 3.60 inlined in the run before).
        method.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        method.Line($"private static {t} {name}<TL>({string.Join(", ", parameters)})");
        using (method.Block($"    where TL : struct, {LaneTypes.Interface}<TL, {t}>"))
        {
            method.Line($"TL {accumulator} = default;");
            foreach (string local in lanes.Locals.Concat(lanes.Reductions))
            {
                method.Line($"TL {local} = default;");
            }

            foreach (LaneRewriter.Carry carry in lanes.Carries)
            {
                method.Line($"TL {carry.Name} = default;");
            }

            if (lanes.Carries.Count > 0)
            {
                // an update k elements ahead moves k lanes: with fewer lanes than that, the scalar loop does it all
                method.Line($"if (TL.Count <= {lanes.Carries.Max(c => c.Lanes)}) return default;");
            }

            method.Line($"int {plan.Counter} = __index;");
            using (method.Block($"for (; {plan.Counter} <= __end - TL.Count; {plan.Counter} += TL.Count)"))
            {
                method.Append(lanes.Body);
            }

            if (lanes.Carries.Count > 0)
            {
                method.Line("// what the last block carried out, when there was one");
                using (method.Block($"if ({plan.Counter} != __index)"))
                {
                    foreach (LaneRewriter.Carry carry in lanes.Carries)
                    {
                        method.Line($"TL.AddCarry({carry.Array}, {LaneRewriter.IndexText(plan.Counter, carry.Lowest)}, {carry.Name}, {carry.Lanes});");
                    }
                }
            }

            for (int k = 0; k < lanes.Reductions.Count; k++)
            {
                method.Line($"__total{k + 1} += TL.Sum({lanes.Reductions[k]});");
            }

            method.Line($"__index = {plan.Counter};");
            method.Line($"return TL.Sum({accumulator});");
        }

        _c.LaneMethod = method;
    }

    /// <summary><c>__{Name}Lanes_{hash}</c>: unique among overloads (the hash of the signature, as in the file name).</summary>
    public static string LaneMethodName(DifferentiableMethod method)
    {
        string[] parts = method.HintName.Split('.');
        return $"__{method.Name}Lanes_{(parts.Length >= 4 ? parts[parts.Length - 4] : "0")}";
    }

    public (CodeBlock Forward, CodeBlock Reverse) EmitSequence(IEnumerable<Stmt> statements, int depth)
    {
        var forward = new CodeBlock();
        var pieces = new List<CodeBlock>();
        foreach (Stmt statement in statements)
        {
            (CodeBlock f, CodeBlock r) = statement switch
            {
                AssignStmt a => EmitAssign(a, depth),
                ArrayDeclStmt d => EmitArrayDecl(d),
                IfStmt s => EmitIf(s, depth),
                LoopStmt l => EmitLoop(l, depth),
                _ => throw new System.InvalidOperationException("Unlowered statement " + statement.GetType().Name),
            };
            forward.Append(f);
            if (!r.IsEmpty)
            {
                pieces.Add(r);
            }
        }

        var reverse = new CodeBlock();
        for (int i = pieces.Count - 1; i >= 0; i--)
        {
            reverse.Append(pieces[i]);
        }

        return (forward, reverse);
    }

    private (CodeBlock, CodeBlock) EmitAssign(AssignStmt assign, int depth)
    {
        VarInfo variable = _c.Variables[assign.Target];
        string target = assign.Index is null ? assign.Target : $"{assign.Target}[{ExprPrinter.Print(assign.Index)}]";
        var forward = new CodeBlock().Line("// " + assign.Comment);
        // The old value's save goes after the pushes of stored values (below), so that the reverse pops them after the restore.
        var saving = new CodeBlock();
        string? restore = null;
        if (_c.Needs.NeedsRestoreAt(assign))
        {
            if (ExprFacts.IsInvertibleIncrement(assign, out BinaryOp inverse, out Expr? amount))
            {
                restore = $"{target} = {target} {ExprPrinter.BinaryText(inverse)} {ExprPrinter.Print(amount!)};";
            }
            else if (SavesOldValue(assign, depth))
            {
                restore = Save(saving, target, variable.Kind, depth);
            }
        }

        if (depth == 0 && assign.Index is null && assign.Value is CallExpr call && CallLifting.IsSplittable(call)
            && _c.Activity.IsActive(assign.Target) && _c.Activity.IsActive(call))
        {
            forward.Append(saving);
            return EmitSplitCall(assign, call, forward, restore, variable);
        }

        // Inside a loop (not a fused iteration, whose reverse runs right after its forward), a transcendental value the
        // chain rule needs is stored on the tape when the forward sweep computes it, not recomputed in the reverse.
        List<(Expr Node, string Name)>? stored = depth > 0 && !_fusedIteration ? new() : null;

        var reverse = new CodeBlock();
        ValueScope? scope = null;
        if (_c.Activity.IsActive(assign.Target))
        {
            reverse.Line("// " + assign.Comment);
            string adjoint = assign.Index is null ? _c.Derivative(assign.Target) : $"{_c.Derivative(assign.Target)}[{ExprPrinter.Print(assign.Index)}]";
            if (_c.Activity.IsActive(assign.Value))
            {
                string g = _c.Temp("__g");
                reverse.Line($"{TypeClassifier.Keyword(variable.Kind)} {g} = {adjoint};");

                // s = s ± e (e not reading s): the adjoint of s passes through unchanged, so it is neither reset
                // nor added back; only e receives ±g.
                Expr? increment = ExprFacts.AccumulatedTerm(assign);
                if (increment is null)
                {
                    reverse.Line($"{adjoint} = {_c.Zero(variable.Kind)};");
                }

                // In a loop the statement's own result is still in its variable until the restore: read there,
                // not recomputed (a recurrence's tanh ran twice per step, forward and again in the reverse).
                // (Declared only if the chain rule reads it: tanh, exp and sqrt do, a sum does not.)
                string? result = restore is not null && depth > 0 && increment is null && AssignedValueStaysPut(assign) ? _c.Temp("__r") : null;

                // Outside loops a statement runs at most once: the intermediates its chain rule needs are
                // computed by the forward sweep and reused, not recomputed (inside loops they are recomputed).
                scope = new ValueScope(null, hoistedDeclarations: depth == 0 ? _c.Declarations : null);
                if (result is not null)
                {
                    scope.Remember(assign.Value, result);
                }

                _stored = stored;
                if (increment is null)
                {
                    Backprop(assign.Value, new Adjoint(g), scope);
                }
                else
                {
                    Child(increment, new Adjoint(g, ((BinaryExpr)assign.Value).Op != BinaryOp.Add), scope);
                }

                _stored = null;

                scope.FlushAccumulations();
                CodeBlock chain = depth == 0 ? scope.Body : scope.Flatten();
                if (result is not null && chain.Lines.Any(line => AccumulationMerger.Mentions(line.Text, result)))
                {
                    reverse.Line($"{TypeClassifier.Keyword(variable.Kind)} {result} = {target};");
                }

                if (restore is not null)
                {
                    reverse.Line(restore);
                }

                // The stored values come back in the reverse order of their pushes, whether or not the chain runs.
                for (int k = stored?.Count - 1 ?? -1; k >= 0; k--)
                {
                    reverse.Line($"{TypeClassifier.Keyword(stored![k].Node.Kind)} {stored[k].Name} = {_c.TapeFor(stored[k].Node.Kind)}.Pop();");
                }

                if (increment is null && assign.Index is null && IsOverwritten(assign.Target) && MayHaveNonFinitePartial(assign.Value))
                {
                    // A definition a later one may replace (r = Math.Sqrt(x - 5); if (y < 5) r = y * x;): on the path
                    // that replaced it its adjoint is zero, and zero times a partial that is infinite or NaN there
                    // (0.5 / NaN) would make the gradient NaN where the function is differentiable. Skip it then.
                    using (reverse.Block($"if ({g} != {_c.Zero(variable.Kind)})"))
                    {
                        reverse.Append(chain);
                    }
                }
                else
                {
                    reverse.Append(chain);
                }
            }
            else
            {
                reverse.Line($"{adjoint} = {_c.Zero(variable.Kind)};");
                if (restore is not null)
                {
                    reverse.Line(restore);
                }
            }
        }
        else if (restore is not null)
        {
            reverse.Line("// " + assign.Comment + "   (restore)");
            reverse.Line(restore);
        }

        if (depth == 0 && scope is not null)
        {
            forward.Append(saving);
            forward.Append(scope.OwnPre);
            forward.Line($"{target} = {ExprPrinter.Print(assign.Value, n => scope.Lookup(n))};");
        }
        else if (stored is { Count: > 0 })
        {
            // Compute each stored value once, push it, and use it in the statement itself.
            var names = new Dictionary<Expr, string>(ReferenceComparer<Expr>.Instance);
            foreach ((Expr node, string name) in stored)
            {
                string value = _c.Temp("__s");
                forward.Line($"{TypeClassifier.Keyword(node.Kind)} {value} = {ExprPrinter.Print(node, n => names.TryGetValue(n, out string? known) ? known : null)};");
                forward.Line($"{_c.TapeFor(node.Kind)}.Push({value});");
                names[node] = value;
            }

            forward.Append(saving);
            forward.Line($"{target} = {ExprPrinter.Print(assign.Value, n => names.TryGetValue(n, out string? known) ? known : null)};");
        }
        else
        {
            forward.Append(saving);
            forward.Line($"{target} = {ExprPrinter.Print(assign.Value)};");
        }

        return (forward, reverse);
    }

    /// <summary>
    /// <c>t = G(a, b)</c> outside loops (see <see cref="CallLifting"/>): the forward sweep calls G's VJP with seed 1,
    /// which returns the value and writes the partials ∂G/∂a, ∂G/∂b into locals; the reverse sweep only scales them,
    /// <c>da += dt * ∂G/∂a</c>. One call where the plain scheme made two (G forward, G's VJP backward, which runs G
    /// again), and so linear, not quadratic, through recursion.
    /// </summary>
    private (CodeBlock, CodeBlock) EmitSplitCall(AssignStmt assign, CallExpr call, CodeBlock forward, string? restore, VarInfo variable)
    {
        string keyword = TypeClassifier.Keyword(variable.Kind);
        var arguments = new List<string>();
        var partials = new List<(Expr Argument, string Partial)>();
        var outputs = new List<string>();
        for (int i = 0; i < call.Args.Count; i++)
        {
            arguments.Add(ExprPrinter.Print(call.Args[i]));
            CalleeParam parameter = call.Callee.Parameters[i];
            if (parameter.Differentiable)
            {
                string partial = _c.Temp("__p");
                _c.Declarations.Line($"{TypeClassifier.Keyword(parameter.Kind)} {partial} = default;");
                outputs.Add("out " + partial);
                partials.Add((call.Args[i], partial));
            }
        }

        var reverse = new CodeBlock().Line("// " + assign.Comment + "   (partials from the forward sweep)");
        string adjoint = _c.Derivative(assign.Target);
        string g = _c.Temp("__g");
        reverse.Line($"{keyword} {g} = {adjoint};");
        reverse.Line($"{adjoint} = {_c.Zero(variable.Kind)};");
        if (restore is not null)
        {
            reverse.Line(restore);
        }

        var scope = new ValueScope(null, hoistedDeclarations: _c.Declarations);
        foreach ((Expr argument, string partial) in partials)
        {
            Child(argument, new Adjoint(Times(g, partial)), scope);
        }

        scope.FlushAccumulations();
        reverse.Append(scope.Body);
        forward.Append(scope.OwnPre);
        forward.Line($"{assign.Target} = {call.Callee.Vjp}({string.Join(", ", arguments.Concat(new[] { _c.Literal(1, call.Kind) }).Concat(outputs))});");
        return (forward, reverse);
    }

    /// <summary>Whether the variable is assigned by more than one statement (so one definition may replace another).</summary>
    private bool IsOverwritten(string variable)
        // The result's assignments are the returns: one of them runs, last, so none replaces another.
        => variable != _c.Method.ResultName && _c.AssignmentCounts.TryGetValue(variable, out int count) && count > 1;

    /// <summary>Whether a partial derivative of the expression may be infinite or NaN at a finite point: a division,
    /// a function call (Sqrt, Log, Pow and the inverse trigonometric functions at their edges, Exp overflowing).</summary>
    private static bool MayHaveNonFinitePartial(Expr expr)
        => expr is BinaryExpr { Op: BinaryOp.Divide } or MathCallExpr or CallExpr || ExprFacts.Children(expr).Any(MayHaveNonFinitePartial);

    private bool SavesOldValue(AssignStmt assign, int depth)
        => !(assign.IsDeclaration && depth == 0 && assign.Index is null) && !_c.Recomputation.IsRecomputable(assign);

    /// <summary>
    /// Whether, when the reverse sweep reaches an assignment to this scalar variable inside a loop, the variable still
    /// holds what that assignment stored: every assignment to it is saved on the tape and restored exactly (none
    /// recomputed or undone by arithmetic), except its declaration outside loops, which runs before any loop.
    /// </summary>
    private bool AssignedValueStaysPut(AssignStmt assign)
    {
        if (assign.Index is not null || _body is null)
        {
            return false;
        }

        if (_staysPut is null)
        {
            _staysPut = new Dictionary<string, bool>();
            foreach ((Stmt statement, int depth) in ExprFacts.Flatten(_body))
            {
                if (statement is AssignStmt { Index: null } a)
                {
                    bool exact = (a.IsDeclaration && depth == 0)
                        || (_c.Needs.NeedsRestoreAt(a) && !ExprFacts.IsInvertibleIncrement(a, out _, out _) && SavesOldValue(a, depth));
                    _staysPut[a.Target] = exact && (!_staysPut.TryGetValue(a.Target, out bool before) || before);
                }
            }
        }

        return _staysPut.TryGetValue(assign.Target, out bool ok) && ok;
    }

    // Store on overwrite: returns the statement that restores the old value in the reverse sweep.
    private string Save(CodeBlock forward, string target, ScalarKind kind, int depth)
    {
        if (depth == 0)
        {
            string slot = _c.Temp("__saved");
            _c.Declarations.Line($"{TypeClassifier.Keyword(kind)} {slot} = default;");
            forward.Line($"{slot} = {target};");
            return $"{target} = {slot};";
        }

        string tape = _c.TapeFor(kind);
        if (kind == ScalarKind.Bool)
        {
            forward.Line($"{tape}.Push({target} ? 1 : 0);");
            return $"{target} = {tape}.Pop() != 0;";
        }

        forward.Line($"{tape}.Push({target});");
        return $"{target} = {tape}.Pop();";
    }

    private (CodeBlock, CodeBlock) EmitArrayDecl(ArrayDeclStmt declaration)
    {
        VarInfo array = _c.Variables[declaration.Name];
        var forward = new CodeBlock().Line("// " + declaration.Comment);
        string length = _c.Temp("__length");
        _c.Declarations.Line($"int {length} = 0;");
        forward.Line($"{length} = {ExprPrinter.Print(declaration.Length)};");
        PooledArray(forward, array.Kind, array.Name, length);
        if (_c.HasDerivative(array.Name))
        {
            PooledArray(forward, array.Kind, _c.Derivative(array.Name), length);
        }

        return (forward, new CodeBlock());
    }

    /// <summary>A zeroed span over a pooled array, declared at the top and given back at the end (no allocation per call).</summary>
    public void PooledArray(CodeBlock forward, ScalarKind kind, string name, string length)
    {
        string keyword = TypeClassifier.Keyword(kind);
        string buffer = _c.Fresh("__buffer_" + name.TrimStart('_'));
        _c.Declarations.Line($"{keyword}[]? {buffer} = null;");
        _c.Declarations.Line($"global::System.Span<{keyword}> {name} = default;");
        forward.Line($"{buffer} = {MethodContext.Pool}<{keyword}>.Shared.Rent({length});");
        forward.Line($"{name} = new global::System.Span<{keyword}>({buffer}, 0, {length});");
        forward.Line($"{name}.Clear();");
        _c.Cleanup.Line($"if ({buffer} is not null) {MethodContext.Pool}<{keyword}>.Shared.Return({buffer});");
    }

    private (CodeBlock, CodeBlock) EmitIf(IfStmt statement, int depth)
    {
        (CodeBlock thenForward, CodeBlock thenReverse) = EmitSequence(statement.Then, depth);
        (CodeBlock elseForward, CodeBlock elseReverse) = EmitSequence(statement.Else, depth);
        string condition = ExprPrinter.Print(statement.Condition);
        var forward = new CodeBlock().Line("// " + statement.Comment);
        var reverse = new CodeBlock();
        if (thenReverse.IsEmpty && elseReverse.IsEmpty)
        {
            WriteIf(forward, condition, thenForward, elseForward);
            return (forward, reverse);
        }

        string replay;
        if (ReverseNeeds.CanRecompute(statement))
        {
            // The branches do not touch the condition's inputs: the reverse sweep evaluates it again.
            replay = condition;
            WriteIf(forward, condition, thenForward, elseForward);
        }
        else if (depth == 0)
        {
            replay = _c.Temp("__branch");
            _c.Declarations.Line($"bool {replay} = false;");
            forward.Line($"{replay} = {condition};");
            WriteIf(forward, replay, thenForward, elseForward);
        }
        else
        {
            string tape = _c.TapeFor(ScalarKind.Int);
            replay = $"{tape}.Pop() != 0";
            // Pushed after the branch's own pushes, so that the reverse sweep pops it first (LIFO).
            var recordThen = new CodeBlock();
            recordThen.Append(thenForward);
            recordThen.Line($"{tape}.Push(1);");
            var recordElse = new CodeBlock();
            recordElse.Append(elseForward);
            recordElse.Line($"{tape}.Push(0);");
            WriteIf(forward, condition, recordThen, recordElse, forceElse: true);
        }

        reverse.Line("// " + statement.Comment + "   (replayed backwards)");
        WriteIf(reverse, replay, thenReverse, elseReverse, forceElse: false);
        return (forward, reverse);
    }

    private static void WriteIf(CodeBlock output, string condition, CodeBlock then, CodeBlock otherwise, bool forceElse = false)
    {
        using (output.Block($"if ({condition})"))
        {
            output.Append(then);
        }

        if (!otherwise.IsEmpty || forceElse)
        {
            using (output.Block("else"))
            {
                output.Append(otherwise);
            }
        }
    }

    private (CodeBlock, CodeBlock) EmitLoop(LoopStmt loop, int depth)
    {
        (CodeBlock bodyForward, CodeBlock bodyReverse) = EmitSequence(loop.Body, depth + 1);
        (CodeBlock stepForward, CodeBlock stepReverse) = EmitSequence(loop.Step, depth + 1);
        string condition = ExprPrinter.Print(loop.Condition);
        var forward = new CodeBlock().Line("// " + loop.Comment);
        var reverse = new CodeBlock();
        bool record = !(bodyReverse.IsEmpty && stepReverse.IsEmpty);
        string? trips = null;
        if (record)
        {
            // The trip count is all the reverse sweep needs to replay the loop.
            trips = _c.Temp("__trips");
            if (depth == 0)
            {
                _c.Declarations.Line($"int {trips} = 0;");
                forward.Line($"{trips} = 0;");
            }
            else
            {
                forward.Line($"int {trips} = 0;");
            }
        }

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

        string count = depth == 0 ? trips! : $"{_c.TapeFor(ScalarKind.Int)}.Pop()";
        if (depth > 0)
        {
            forward.Line($"{_c.TapeFor(ScalarKind.Int)}.Push({trips});");
        }

        string k = _c.Temp("__k");
        reverse.Line("// " + loop.Comment + "   (iterations replayed backwards)");
        using (reverse.Block($"for (int {k} = {count}; {k} > 0; {k}--)"))
        {
            reverse.Append(stepReverse);

            // Locals of the iteration are recomputed from its (restored) inputs rather than read off a tape.
            foreach (AssignStmt local in _c.Recomputation.In(loop.Body).Where(a => _c.Needs.IsNeeded(a.Target)))
            {
                reverse.Line($"{local.Target} = {ExprPrinter.Print(local.Value)};   // recomputed: {local.Comment}");
            }

            ZeroIterationAdjoints(reverse, loop);
            reverse.Append(bodyReverse);
        }

        return (forward, reverse);
    }

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
