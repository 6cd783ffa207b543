using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// A pass over the derivative IR that turns one iteration of an accumulation loop, built for a scalar counter (its
/// forward code, its reverse code, or both: a fused loop), into the body of a generic lane method: every floating
/// local becomes a vector of lanes <c>TL</c>, <c>x[i + c]</c> (or <c>a[b + i + c]</c>, a row from a start the loop
/// does not change) a vector load of the lanes' elements, <c>dx[i + c] += e</c> a vector read-modify-write, and
/// <c>Math.Sqrt</c> its lane form. <see cref="LoopVectorisation"/> has checked the primal; this pass checks the
/// derivative code as well (every node, and that each local is assigned before it is read in the iteration), and
/// gives up, leaving the loop scalar, on anything it does not recognise. It never guesses.
/// </summary>
internal static class LaneRewriter
{
    /// <summary>The lane method's pieces: its body, the names it declares and takes, and the accesses that bound it.</summary>
    internal sealed record Lanes(
        CodeBlock Body,
        IReadOnlyList<string> Locals,
        IReadOnlyList<string> Inputs,
        IReadOnlyList<string> Outputs,
        IReadOnlyList<string> Invariants,
        IReadOnlyList<string> Integers,
        IReadOnlyList<LoopVectorisation.Access> Accesses,
        IReadOnlyList<Carry> Carries,
        IReadOnlyList<string> Reductions);

    /// <summary>What the updates of <see cref="Array"/> at <see cref="Lowest"/> + <see cref="Lanes"/> carry from one block to the next, in <see cref="Name"/>.</summary>
    internal sealed record Carry(string Array, int Lowest, int Lanes, string Name);

    private const string LaneType = "TL";

    /// <summary>What the iteration may name, and what it has named so far.</summary>
    private sealed class Names
    {
        public Names(HashSet<string> locals, HashSet<string> readable, HashSet<string> adjoints, HashSet<string> invariants, HashSet<string> reductions, HashSet<string> integers, string counter)
            => (Locals, Readable, Adjoints, Invariants, Reductions, Integers, Counter) = (locals, readable, adjoints, invariants, reductions, integers, counter);

        /// <summary>The ints an index's base may read (see <see cref="LoopVectorisation.Index"/>).</summary>
        public HashSet<string> Integers { get; }

        /// <summary>The element <paramref name="index"/> names, or null; the ints its base reads are then used.</summary>
        public (Expr? Base, int Offset)? Index(Expr index)
        {
            if (LoopVectorisation.Index(index, Counter, Integers.Contains) is not { } at)
            {
                return null;
            }

            if (at.Base is not null)
            {
                Used.UnionWith(ExprFacts.Reads(at.Base));
            }

            return at;
        }

        public HashSet<string> Locals { get; }

        public HashSet<string> Readable { get; }

        public HashSet<string> Adjoints { get; }

        public HashSet<string> Invariants { get; }

        public HashSet<string> Reductions { get; }

        public string Counter { get; }

        public HashSet<string> Temps { get; } = new();

        public HashSet<string> Assigned { get; } = new();

        public HashSet<string> Used { get; } = new();

        public List<string> Inputs { get; } = new();
    }

    /// <summary>The rewritten iteration, or null when any statement is not of the forms above.</summary>
    /// <param name="sums">The accumulators the iteration adds to (<c>s = s ± e</c>), each summed in lanes: the forward part of an iteration.</param>
    /// <param name="seeded">The accumulators whose adjoints the iteration reads, which the loop does not change: the reverse part.</param>
    public static Lanes? Rewrite(CodeBlock iteration, LoopVectorisation.Plan plan, IReadOnlyCollection<string> sums, IReadOnlyCollection<string> seeded, MethodContext context)
    {
        string keyword = TypeClassifier.Keyword(context.Method.ReturnKind);
        var locals = new HashSet<string>(plan.Locals);
        foreach (string local in plan.Locals.Where(context.HasDerivative).ToList())
        {
            locals.Add(context.Derivative(local));
        }

        var readable = new HashSet<string>(plan.Accesses.Select(a => a.Array));
        var invariants = new HashSet<string>(plan.Invariants);
        foreach (string accumulator in seeded.Where(context.HasDerivative))
        {
            invariants.Add(context.Derivative(accumulator));
        }

        // adjoints of the invariants: sums over the iterations, like the accumulator (only ever added to)
        var names = new Names(
            locals, readable, new HashSet<string>(readable.Where(context.HasDerivative).Select(context.Derivative)), invariants,
            new HashSet<string>(plan.Invariants.Where(context.HasDerivative).Select(context.Derivative)), new HashSet<string>(plan.Integers), plan.Counter);
        var outputs = new List<string>();
        var accesses = new List<LoopVectorisation.Access>(plan.Accesses);
        var updates = new Dictionary<LoopVectorisation.Access, VarExpr>();
        var body = new CodeBlock();
        foreach (Code code in iteration.Items)
        {
            switch (code)
            {
                case CommentCode or BlankCode:
                    body.Add(code);
                    continue;

                // dx[i + c] += e: collected per element offset and written once at the end of the iteration (see WriteUpdates)
                case AssignCode { Add: true, Note: null, Target: ElemExpr { Array: var array, Index: var index }, Value: var term }
                    when names.Adjoints.Contains(array) && names.Index(index) is { } at:
                {
                    var access = new LoopVectorisation.Access(array, at.Base, at.Offset);
                    if (Lane(term, names) is not { } amount)
                    {
                        return null;
                    }

                    if (!outputs.Contains(array))
                    {
                        outputs.Add(array);
                    }

                    if (!accesses.Contains(access))
                    {
                        accesses.Add(access);
                    }

                    if (updates.TryGetValue(access, out VarExpr? sum))
                    {
                        body.Add(new AssignCode(sum, Build.Add(sum, amount)));
                    }
                    else
                    {
                        sum = Build.Var(term.Kind, $"__add{updates.Count + 1}");
                        updates[access] = sum;
                        names.Temps.Add(sum.Name);
                        body.Add(new DeclareCode(LaneType, sum.Name, amount));
                    }

                    names.Assigned.Add(sum.Name);
                    continue;
                }

                // T t = e: a temporary of the iteration
                case DeclareCode { Value: { } value } declaration when declaration.Type == keyword
                    && declaration.Name.StartsWith("__", System.StringComparison.Ordinal) && !names.Temps.Contains(declaration.Name):
                {
                    if (Lane(value, names) is not { } lanes)
                    {
                        return null;
                    }

                    names.Temps.Add(declaration.Name);
                    names.Assigned.Add(declaration.Name);
                    body.Add(new DeclareCode(LaneType, declaration.Name, lanes));
                    continue;
                }

                // v = e, v += e on a local (a local recomputed for the reverse has a note), s = s ± e on an accumulator,
                // d += e on an invariant's adjoint
                case AssignCode { Target: VarExpr { Name: var target } } assign:
                {
                    Expr? lanes;
                    if (sums.Contains(target))
                    {
                        lanes = !assign.Add && assign.Value is BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract, Left: VarExpr { Name: var first } } step
                            && first == target && Lane(step.Right, names) is { } e
                            ? step with { Right = e }
                            : null;
                        names.Used.Add(target);
                    }
                    else if (names.Reductions.Contains(target))
                    {
                        lanes = assign.Add ? Lane(assign.Value, names) : null;
                        names.Used.Add(target);
                    }
                    else if (names.Locals.Contains(target) || names.Temps.Contains(target))
                    {
                        // a local read by its own update must have been assigned in this iteration
                        lanes = !assign.Add || names.Assigned.Contains(target) ? Lane(assign.Value, names) : null;
                        names.Used.Add(target);
                    }
                    else
                    {
                        lanes = null;
                    }

                    if (lanes is null)
                    {
                        return null;
                    }

                    names.Assigned.Add(target);
                    body.Add(assign with { Value = lanes });
                    continue;
                }

                default:
                    return null;
            }
        }

        if (WriteUpdates(body, updates, outputs, plan.Counter) is not { } carries)
        {
            return null;
        }

        return new Lanes(body, locals.Where(names.Used.Contains).OrderBy(n => n, System.StringComparer.Ordinal).ToList(), names.Inputs, outputs,
            invariants.Where(names.Used.Contains).OrderBy(n => n, System.StringComparer.Ordinal).ToList(),
            plan.Integers.Where(names.Used.Contains).ToList(), accesses, carries,
            names.Reductions.Where(names.Used.Contains).OrderBy(n => n, System.StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// The lane form of a value: <c>x[i + c]</c> a load, <c>Math.F(a)</c> <c>TL.F(a)</c>, operators as they are; null
    /// for anything else, or a name the iteration may not read here (a local not yet assigned in it, the accumulator,
    /// an adjoint, a reduction).
    /// </summary>
    private static Expr? Lane(Expr expr, Names names)
    {
        switch (expr)
        {
            case ConstExpr { Kind: ScalarKind.Double or ScalarKind.Float }:
                return expr;

            case VarExpr { Name: var name }:
                names.Used.Add(name);
                bool known = names.Locals.Contains(name) || names.Temps.Contains(name) ? names.Assigned.Contains(name) : names.Invariants.Contains(name);
                return known ? expr : null;

            case ElemExpr { Array: var array, Index: var index } when names.Readable.Contains(array) && names.Index(index) is not null:
                if (!names.Inputs.Contains(array))
                {
                    names.Inputs.Add(array);
                }

                return Build.Invoke(expr.Kind, LaneType + ".Load", Build.Var(expr.Kind, array), index);

            case UnaryExpr { Op: UnaryOp.Negate } u:
                return Lane(u.Operand, names) is { } operand ? u with { Operand = operand } : null;

            case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Divide } b:
                return Lane(b.Left, names) is { } left && Lane(b.Right, names) is { } right ? b with { Left = left, Right = right } : null;

            case MathCallExpr { Class: "global::System.Math" or "global::System.MathF" } m when LoopVectorisation.Functions.Contains(m.Function):
                var args = new List<Expr>();
                foreach (Expr arg in m.Args)
                {
                    if (Lane(arg, names) is not { } lane)
                    {
                        return null;
                    }

                    args.Add(lane);
                }

                return m with { Class = LaneType, Args = new EquatableArray<Expr>(args) };

            default:
                return null;
        }
    }

    /// <summary>
    /// Each adjoint array's block of elements is read, added to and written once per iteration: at the lowest offset c0
    /// the iteration updates, <c>dx[i + c0 .. i + c0 + lanes)</c> gets the updates at c0 as they are and those at
    /// c0 + k moved up k lanes, with the k lanes that leave the block carried into the next one. Updating
    /// <c>dx[i]</c> and then <c>dx[i + 1]</c> as two overlapping vectors instead made every load wait for the store
    /// before it (no store forwarding between overlapping vectors): the Rosenbrock gradient ran at the scalar loop's speed.
    /// </summary>
    private static List<Carry>? WriteUpdates(CodeBlock body, Dictionary<LoopVectorisation.Access, VarExpr> updates, List<string> outputs, string counter)
    {
        var carries = new List<Carry>();
        foreach (string array in outputs)
        {
            var at = updates.Keys.Where(u => u.Array == array).OrderBy(u => u.Offset).ToList();
            Expr? start = at[0].Base;
            if (at.Any(u => !Equals(u.Base, start)) || (start is not null && at.Count > 1))
            {
                // one block per array: elements from a base (a row) are updated at one offset only
                return null;
            }

            int lowest = at[0].Offset;
            VarExpr first = updates[at[0]];
            Expr sum = first;
            foreach (LoopVectorisation.Access update in at.Skip(1))
            {
                var carry = new Carry(array, lowest, update.Offset - lowest, $"__carry{carries.Count + 1}");
                carries.Add(carry);
                sum = Build.Add(sum, Build.Invoke(first.Kind, LaneType + ".ShiftIn", updates[update], new RefExpr(first.Kind, carry.Name), Build.Int(carry.Lanes)));
            }

            Expr index = Build.Offset(Build.Var(ScalarKind.Int, counter), lowest);
            body.Add(new CallCode(Build.Invoke(first.Kind, LaneType + ".AddTo", Build.Var(first.Kind, array), start is null ? index : Build.Add(start, index), sum)));
        }

        return carries;
    }

    /// <summary><c>v</c>, <c>v + c</c> or <c>v - c</c> as text (the lane method's frame, an index from the counter or a bound from an array's length).</summary>
    internal static string IndexText(string start, int offset) => offset == 0 ? start : offset > 0 ? $"{start} + {offset}" : $"{start} - {-offset}";
}
