using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <content>
/// Vector loops: an accumulation loop's iterations run as whole vectors of lanes in a generic lane method, then the
/// scalar loop does the rest. The fused final loop runs each iteration's forward and reverse there; any other loop
/// whose iterations commute (<see cref="LoopReruns.Commutes"/>) may run its forward part there, and its reverse part
/// as another lane method, with the iterations in the forward order (they commute, so the order is free).
/// </content>
internal sealed partial class ReverseEmitter
{
    /// <summary>A loop whose primal vector loops can run (<see cref="VectorPlanOf"/>): what it carries, all accumulators, and the plan.</summary>
    private sealed record VectorPlan(string[] Accumulators, LoopVectorisation.Plan Plan);

    /// <summary>
    /// The forward part of a counted loop (not fused) as a vector loop: the loop's carried values are all accumulators,
    /// summed in lanes. Returns the code that runs it (the dispatch, then the scalar loop for the rest), or null when
    /// its code is not of the vector forms.
    /// </summary>
    private CodeBlock? VectorForward(LoopStmt loop, VectorPlan vector, CodeBlock bodyForward, CodeBlock stepForward)
    {
        var output = new CodeBlock();
        if (!VectorLoop(output, vector.Plan, bodyForward, vector.Accumulators, new string[0], "A loop", "the forward part of each iteration"))
        {
            return null;
        }

        var iteration = new CodeBlock();
        iteration.Append(bodyForward);
        iteration.Append(stepForward);
        output.Add(new WhileCode(loop.Condition, iteration, loop.TestAtEnd));
        return output;
    }

    /// <summary>
    /// The reverse part of a counted loop to a bound the loop does not change, whose iterations commute, as a vector
    /// loop: the counter runs forwards from its start (each iteration's reverse reads no adjoint another one writes,
    /// so any order gives the same adjoints), whole vectors of iterations in a lane method, the rest in a scalar loop,
    /// and the counter ends at its start, where a backward replay leaves it. <paramref name="iteration"/> is one
    /// iteration's reverse without the counter's restore. Null when the counter or the code is not of the vector forms.
    /// </summary>
    private CodeBlock? VectorReverse(LoopStmt loop, LoopCounter counter, VectorPlan vector, CodeBlock iteration)
    {
        var output = new CodeBlock();
        output.Comment(loop.Comment + "   (reverse: the iterations commute, so they run in order)");
        var counterValue = Build.Var(ScalarKind.Int, counter.Name);
        output.Add(new AssignCode(counterValue, counter.Start));
        if (!RunsForwards(loop, counter)
            || !VectorLoop(output, vector.Plan, iteration, new string[0], vector.Accumulators, "A loop", "the reverse part of each iteration"))
        {
            return null;
        }

        var scalar = new CodeBlock();
        scalar.Append(iteration);
        scalar.Add(new AssignCode(counterValue, Build.Add(counterValue, Build.Int(1))));
        output.Add(new WhileCode(Build.Compare(BinaryOp.Less, counterValue, vector.Plan.End), scalar, TestAtEnd: false));
        output.Add(new AssignCode(counterValue, counter.Start));
        return output;
    }

    /// <summary>
    /// When one iteration's code (<paramref name="iteration"/>) is of the vector forms (<see cref="LaneRewriter"/>) and
    /// the loop has a plan (<see cref="LoopVectorisation"/>), writes into <paramref name="output"/> the call of a lane
    /// method that runs whole vectors of its iterations and returns true; else writes nothing and returns false.
    /// <paramref name="loopName"/> and <paramref name="part"/> say what the lane method runs, for its doc comment.
    /// </summary>
    private bool VectorLoop(CodeBlock output, LoopVectorisation.Plan? plan, CodeBlock iteration, IReadOnlyList<string> sums, IReadOnlyList<string> seeded, string loopName, string part)
    {
        if (plan is null || LaneRewriter.Rewrite(AccumulationMerger.Merge(iteration), plan, sums, seeded, _c) is not { } lanes)
        {
            return false;
        }

        EmitLaneCall(output, plan, lanes, sums, $"{loopName} of <see cref=\"{DerivativeEmitter.UserName(_c.Method)}\"/>, {part}");
        return true;
    }

    /// <summary>
    /// Whether the reverse part of a counted loop can run its iterations forwards: its counter is its only step, the bound
    /// is one the loop does not change (the trip count is known again), and the reverse reads the counter. Where the
    /// primal has a <see cref="VectorPlan"/> too, vector loops will run both parts, so the values of Exp, Log and Sqrt
    /// the reverse needs are computed again there, in lanes, rather than stored (recompute or store: a vector Exp costs
    /// about what a push and a pop cost per element, and a push keeps the loop scalar).
    /// </summary>
    private bool RunsForwards(LoopStmt loop, LoopCounter counter)
        => counter.Bound is not null && loop.Step.Count == 1 && ReferenceEquals(loop.Step[0], counter.Step) && _c.Needs.NeedsRestoreAt(counter.Step);

    /// <summary>
    /// The plan of a loop whose iterations commute and whose carried values (<see cref="LoopReruns.Carried"/>) are each
    /// only accumulated, <c>s = s ± e</c> with nothing else in the loop reading it, when its primal is of the vector
    /// forms; else null. Every other variable the body writes is declared in it, so nothing after the loop reads what
    /// the lanes computed.
    /// </summary>
    private VectorPlan? VectorPlanOf(LoopStmt loop)
    {
        if (!_c.Vectors.Lanes || !LoopReruns.Commutes(loop, _c.Activity))
        {
            return null;
        }

        string[] carried = LoopReruns.Carried(loop).ToArray();
        foreach ((Stmt statement, _) in ExprFacts.Flatten(loop.Body))
        {
            if (statement is AssignStmt assign && carried.Contains(assign.Target) && ExprFacts.AccumulatedTerm(assign) is null)
            {
                return null;
            }
        }

        return LoopVectorisation.Analyse(loop, carried, _c, _c.Vectors) is { } plan ? new VectorPlan(carried, plan) : null;
    }

    /// <summary>
    /// Runs the loop's whole vectors of iterations in a lane method (added to <see cref="MethodContext.LaneMethod"/>)
    /// before the scalar loop, which then does the rest. The vector loop's bound keeps every element it touches
    /// inside its array, so an index the scalar loop would find out of range is left to the scalar loop to throw on.
    /// </summary>
    /// <param name="sums">The accumulators the lanes sum: the lane method returns the first one's sum and adds the others' to them by reference.</param>
    /// <param name="role">What the lane method runs, for its doc comment.</param>
    private void EmitLaneCall(CodeBlock output, LoopVectorisation.Plan plan, LaneRewriter.Lanes lanes, IReadOnlyList<string> sums, string role)
    {
        string t = _c.T;
        string name = LaneMethodName(_c.Method, ++_c.LaneMethodCount);
        var bounds = new List<Expr> { plan.End };
        var starts = new List<Expr>();
        foreach (IGrouping<(string Array, Expr? Base), LoopVectorisation.Access> block in lanes.Accesses.GroupBy(a => (a.Array, a.Base)))
        {
            // the highest element the block of iterations below the bound touches in each array is inside it ...
            Expr bound = Build.Offset(new LengthExpr(block.Key.Array), -block.Max(a => a.Offset));
            bound = block.Key.Base is { } rowStart ? Build.Sub(bound, rowStart) : bound;
            if (!bounds.Contains(bound))
            {
                bounds.Add(bound);
            }

            // ... and so is the lowest the first block touches in a row
            if (block.Key.Base is { } first)
            {
                Expr low = Build.Compare(BinaryOp.GreaterOrEqual, Build.Add(first, Build.Offset(Build.Var(ScalarKind.Int, plan.Counter), block.Min(a => a.Offset))), Build.Int(0));
                if (!starts.Contains(low))
                {
                    starts.Add(low);
                }
            }
        }

        if (lanes.Accesses.Where(a => a.Base is null).Select(a => (int?)a.Offset).Min() is int lowest)
        {
            // the lowest element the first block touches in an array indexed from the counter alone
            starts.Insert(0, Build.Compare(BinaryOp.GreaterOrEqual, Build.Var(ScalarKind.Int, plan.Counter), Build.Int(-lowest)));
        }

        Expr end = bounds[bounds.Count - 1];
        for (int k = bounds.Count - 2; k >= 0; k--)
        {
            end = new MathCallExpr(ScalarKind.Int, "global::System.Math", "Min", new EquatableArray<Expr>(new[] { bounds[k], end }));
        }

        List<string> totals = lanes.Reductions.Concat(sums.Skip(1)).ToList();
        var parameters = new List<string> { "ref int __index", "int __end" };
        parameters.AddRange(lanes.Inputs.Select(a => $"global::System.ReadOnlySpan<{t}> {a}"));
        parameters.AddRange(lanes.Outputs.Select(a => $"global::System.Span<{t}> {a}"));
        parameters.AddRange(lanes.Invariants.Select(v => $"{t} {v}"));
        parameters.AddRange(lanes.Integers.Select(v => $"int {v}"));
        parameters.AddRange(totals.Select((r, k) => $"ref {t} __total{k + 1}"));
        string endName = _c.Fresh("__end");
        output.Comment($"(vectorised: whole vectors of iterations run in {name}, one iteration per lane; the loop below does the rest)");
        var dispatch = new CodeBlock();
        dispatch.Add(new DeclareCode("int", endName, Build.AtLeastZero(end)));
        ScalarKind kind = _c.Method.ReturnKind;
        var arguments = new List<Expr> { new RefExpr(ScalarKind.Int, plan.Counter), Build.Var(ScalarKind.Int, endName) };
        arguments.AddRange(lanes.Inputs.Concat(lanes.Outputs).Concat(lanes.Invariants).Select(a => Build.Var(kind, a)));
        arguments.AddRange(lanes.Integers.Select(v => Build.Var(ScalarKind.Int, v)));
        arguments.AddRange(totals.Select(r => new RefExpr(kind, r)));
        IfCode? chain = null;
        foreach (LaneWidth width in LaneTypes.Widths.Reverse())
        {
            var invoke = new InvokeExpr(kind, $"{name}<{width.Struct}<{t}>>", new EquatableArray<Expr>(arguments));
            Code call = sums.Count > 0 ? new AssignCode(Build.Var(kind, sums[0]), Build.Add(Build.Var(kind, sums[0]), invoke)) : new CallCode(invoke);
            // the widest accelerated vectors that one block of iterations fills (a short loop's block may be narrower)
            Expr fits = Build.Compare(BinaryOp.GreaterOrEqual, Build.Sub(Build.Var(ScalarKind.Int, endName), Build.Var(ScalarKind.Int, plan.Counter)),
                new OpaqueExpr(ScalarKind.Int, $"{width.Vector}<{t}>.Count"));
            Expr test = new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalAnd, new OpaqueExpr(ScalarKind.Bool, width.Test), fits);
            chain = new IfCode(test, new CodeBlock(new[] { call }), chain is null ? new CodeBlock() : new CodeBlock(new Code[] { chain }));
        }

        dispatch.Add(chain!);
        Expr inRange = starts[0];
        foreach (Expr low in starts.Skip(1))
        {
            inRange = new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalAnd, inRange, low);
        }

        output.Add(new IfCode(inRange, dispatch, new CodeBlock()));

        var method = new CodeBlock();
        var does = new List<string> { "advances <paramref name=\"__index\"/>" };
        if (lanes.Reductions.Count > 0)
        {
            does.Add("adds the lanes' sums of the adjoints of values the loop does not change to the totals passed by reference");
        }

        if (sums.Count > 1)
        {
            does.Add($"adds the lanes' sums of {string.Join(", ", sums.Skip(1))} to the totals passed by reference after those");
        }

        if (sums.Count > 0)
        {
            does.Add($"returns the lanes' sum of {sums[0]}");
        }

        string summary = $"{role}, on whole vectors of lanes of <typeparamref name=\"TL\"/> (one iteration per lane) from <paramref name=\"__index\"/> "
            + $"while all of them are below <paramref name=\"__end\"/>; {string.Join(does.Count > 2 ? ", " : " ", does.Take(does.Count - 1))}"
            + $"{(does.Count > 2 ? ", and " : does.Count == 2 ? " and " : string.Empty)}{does[does.Count - 1]}.";
        WriteSummary(method, summary);
        DerivativeEmitter.WriteAttributes(method, _c);
        // Never inlined: inlined into its caller (AggressiveInlining until session 10) it ran 13x slower as soon as the
        // caller lost its inline throw (Rosenbrock N = 10 000: 48 µs against 3.5), the lane structs no longer kept in
        // registers; as a call it costs nothing measurable (3.50 µs, 3.60 inlined in the run before).
        method.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        method.Line($"private static {(sums.Count > 0 ? t : "void")} {name}<TL>({string.Join(", ", parameters)})");
        using (method.Block($"    where TL : struct, {TypeRefs.LanesInterface}<TL, {t}>"))
        {
            foreach (string local in sums.Concat(lanes.Locals).Concat(lanes.Reductions))
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
                method.Line($"if (TL.Count <= {lanes.Carries.Max(c => c.Lanes)}) return{(sums.Count > 0 ? " default" : string.Empty)};");
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

            for (int k = 0; k < totals.Count; k++)
            {
                method.Line($"__total{k + 1} += TL.Sum({totals[k]});");
            }

            method.Line($"__index = {plan.Counter};");
            if (sums.Count > 0)
            {
                method.Line($"return TL.Sum({sums[0]});");
            }
        }

        if (_c.LaneMethod is { } methods)
        {
            methods.Line(string.Empty);
            methods.Append(method);
        }
        else
        {
            _c.LaneMethod = method;
        }
    }

    /// <summary>A doc comment's summary, its words wrapped to lines of at most 120 characters.</summary>
    private static void WriteSummary(CodeBlock method, string text)
    {
        var line = new System.Text.StringBuilder("/// <summary>");
        bool first = true;
        foreach (string word in (text + "</summary>").Split(' '))
        {
            if (!first && line.Length + 1 + word.Length > 120)
            {
                method.Line(line.ToString());
                line.Clear().Append("///");
            }

            line.Append(first ? string.Empty : " ").Append(word);
            first = false;
        }

        method.Line(line.ToString());
    }

    /// <summary>
    /// <c>__{Name}Lanes_{hash}</c> for the method's first lane method and <c>__{Name}Lanes{k}_{hash}</c> for its k-th: unique
    /// among overloads (the hash of the signature, as in the file name).
    /// </summary>
    public static string LaneMethodName(DifferentiableMethod method, int k = 1)
    {
        string[] parts = method.HintName.Split('.');
        return $"__{method.Name}Lanes{(k > 1 ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}_{(parts.Length >= 4 ? parts[parts.Length - 4] : "0")}";
    }
}
