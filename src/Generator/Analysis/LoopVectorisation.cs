using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// Which accumulation loops can run a whole vector of iterations at once (the fused final loop of
/// <see cref="LoopFusion"/>, or the forward and the reverse part of any other loop whose iterations commute): a counter
/// stepped by one against a bound the loop does not change, and a body of straight-line floating-point arithmetic on
/// the iteration's own locals, values the loop does not change, and array elements at the counter plus or minus a
/// constant (<c>x[i]</c>, <c>x[i + 1]</c>). No branch, no call other than the math functions that have vector forms,
/// no conversion, nothing carried from one iteration to the next except the accumulators. Then each iteration's
/// forward and reverse code is the same for every lane, and the only cross-lane work is the accumulators' sums at the
/// end and the adjoint updates of neighbouring elements, which are additions.
/// </summary>
internal static class LoopVectorisation
{
    /// <summary>The facts the vector loop is written from.</summary>
    /// <param name="Counter">The loop counter (an int local).</param>
    /// <param name="End">The counter's exclusive bound.</param>
    /// <param name="Accesses">Every array read in the body with its offset from the counter.</param>
    /// <param name="Locals">Locals assigned in the body (each assigned before it is read in an iteration).</param>
    /// <param name="Invariants">Floating scalars the body reads and the loop does not assign.</param>
    /// <param name="Integers">Int scalars the indices' bases read, which the loop does not assign.</param>
    internal sealed record Plan(string Counter, Expr End, IReadOnlyList<Access> Accesses, IReadOnlyList<string> Locals, IReadOnlyList<string> Invariants, IReadOnlyList<string> Integers);

    /// <summary>
    /// An element the iteration reads or writes: <c>Array[Base + counter + Offset]</c>, the base (null for none) an int
    /// value the loop does not change (a row's start, <c>i * n</c>, in a loop over its columns), the offset a constant.
    /// Consecutive iterations touch consecutive elements, so a block of lanes is one vector load or store.
    /// </summary>
    internal sealed record Access(string Array, Expr? Base, int Offset);

    /// <summary>
    /// The base and offset of <paramref name="index"/> from <paramref name="counter"/>: <c>i</c>, <c>i ± c</c>,
    /// <c>b + i</c>, <c>i + b</c>, <c>b + i ± c</c>, with <c>c</c> an int literal and <c>b</c> arithmetic (<c>+ - *</c>)
    /// on int literals and on the ints <paramref name="invariant"/> accepts; null for any other index.
    /// </summary>
    public static (Expr? Base, int Offset)? Index(Expr index, string counter, System.Func<string, bool> invariant)
    {
        switch (index)
        {
            case VarExpr v when v.Name == counter:
                return (null, 0);
            case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract, Right: ConstExpr c } b
                when int.TryParse(c.Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k) && k < 1 << 20
                && Index(b.Left, counter, invariant) is { } inner:
                return (inner.Base, inner.Offset + (b.Op == BinaryOp.Subtract ? -k : k));
            case BinaryExpr { Op: BinaryOp.Add, Right: VarExpr v } b when v.Name == counter && IsBase(b.Left, counter, invariant):
                return (b.Left, 0);
            case BinaryExpr { Op: BinaryOp.Add, Left: VarExpr v } b when v.Name == counter && IsBase(b.Right, counter, invariant):
                return (b.Right, 0);
            default:
                return null;
        }
    }

    private static bool IsBase(Expr expr, string counter, System.Func<string, bool> invariant) => expr switch
    {
        ConstExpr { Kind: ScalarKind.Int } => true,
        VarExpr { Kind: ScalarKind.Int } v => v.Name != counter && invariant(v.Name),
        BinaryExpr { Kind: ScalarKind.Int, Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply } b => IsBase(b.Left, counter, invariant) && IsBase(b.Right, counter, invariant),
        _ => false,
    };

    /// <summary>Math functions with a vector form in every supported runtime (<c>Vector128/256/512.Sqrt</c>).</summary>
    private static readonly HashSet<string> AlwaysVector = new() { "Sqrt" };

    /// <summary>Math functions with vector forms from .NET 9 on (<c>Vector512.Exp</c>, <c>Log</c>, <c>FusedMultiplyAdd</c>).</summary>
    private static readonly HashSet<string> Net9Vector = new() { "Exp", "Log", "FusedMultiplyAdd" };

    /// <summary>Every math function a vector loop may call (the lane types have a member of each name).</summary>
    public static IEnumerable<string> Functions => AlwaysVector.Concat(Net9Vector);

    /// <summary>The plan for <paramref name="loop"/>, or null when it must stay scalar.</summary>
    /// <param name="accumulators">The variables the loop carries from one iteration to the next, each only accumulated
    /// (<c>s = s ± e</c>, read nowhere else in the body); every other variable the body assigns is the iteration's own.</param>
    public static Plan? Analyse(LoopStmt loop, IReadOnlyCollection<string> accumulators, MethodContext context, VectorSupport support)
    {
        ScalarKind kind = context.Method.ReturnKind;
        if (!support.Lanes || loop.TestAtEnd || kind is not (ScalarKind.Double or ScalarKind.Float)
            || accumulators.Any(a => !context.Variables.TryGetValue(a, out VarInfo? variable) || variable.Kind != kind || variable.Shape != ShapeKind.Scalar))
        {
            return null;
        }

        // i = i + 1
        if (ExprFacts.UnitStepCounter(loop) is not { } stepped || !context.Variables.TryGetValue(stepped, out VarInfo? counter)
            || counter.Kind != ScalarKind.Int || counter.Shape != ShapeKind.Scalar)
        {
            return null;
        }

        var targets = new HashSet<string>(loop.Body.OfType<AssignStmt>().Select(a => a.Target)) { counter.Name };

        // i < E or i <= E, E unchanged by the loop
        if (loop.Condition is not BinaryExpr { Op: BinaryOp.Less or BinaryOp.LessOrEqual, Left: VarExpr { Name: var tested } } condition
            || tested != counter.Name || ExprFacts.Reads(condition.Right).Any(targets.Contains))
        {
            return null;
        }

        Expr end = condition.Op == BinaryOp.Less
            ? condition.Right
            : new BinaryExpr(ScalarKind.Int, BinaryOp.Add, condition.Right, new ConstExpr(ScalarKind.Int, "1"));
        var walker = new Walker(counter.Name, kind, targets, accumulators, context, support);
        foreach (Stmt statement in loop.Body)
        {
            if (statement is not AssignStmt { Index: null } assign || !context.Variables.TryGetValue(assign.Target, out VarInfo? target)
                || target.Kind != kind || target.Shape != ShapeKind.Scalar || target.Name == counter.Name)
            {
                return null;
            }

            // s = s ± e: only e is looked at (the accumulators are the only values carried between iterations)
            bool accumulates = accumulators.Contains(assign.Target);
            Expr? value = accumulates ? ExprFacts.AccumulatedTerm(assign) : assign.Value;
            if (value is null || !walker.Ok(value))
            {
                return null;
            }

            if (!accumulates)
            {
                walker.Assigned.Add(assign.Target);
            }
        }

        return walker.Accesses.Count == 0
            ? null
            : new Plan(counter.Name, end, walker.Accesses.ToList(), walker.Assigned.ToList(), walker.Invariants.ToList(), walker.Integers.ToList());
    }

    private sealed class Walker
    {
        private readonly string _counter;
        private readonly ScalarKind _kind;
        private readonly HashSet<string> _targets;
        private readonly IReadOnlyCollection<string> _accumulators;
        private readonly MethodContext _context;
        private readonly VectorSupport _support;

        public Walker(string counter, ScalarKind kind, HashSet<string> targets, IReadOnlyCollection<string> accumulators, MethodContext context, VectorSupport support)
        {
            _counter = counter;
            _kind = kind;
            _targets = targets;
            _accumulators = accumulators;
            _context = context;
            _support = support;
        }

        public List<string> Assigned { get; } = new();

        public List<string> Invariants { get; } = new();

        public List<Access> Accesses { get; } = new();

        public List<string> Integers { get; } = new();

        public bool Ok(Expr expr)
        {
            switch (expr)
            {
                case ConstExpr c:
                    return c.Kind == _kind;

                case VarExpr v:
                    if (v.Kind != _kind || _accumulators.Contains(v.Name) || v.Name == _counter)
                    {
                        return false;
                    }

                    if (_targets.Contains(v.Name))
                    {
                        // an iteration's local, read only after this iteration assigned it
                        return Assigned.Contains(v.Name);
                    }

                    if (!_context.Variables.TryGetValue(v.Name, out VarInfo? info) || info.Shape != ShapeKind.Scalar)
                    {
                        return false;
                    }

                    if (!Invariants.Contains(v.Name))
                    {
                        Invariants.Add(v.Name);
                    }

                    return true;

                case ElemExpr e:
                    if (e.Kind != _kind || !_context.Variables.TryGetValue(e.Array, out VarInfo? array) || array.Shape == ShapeKind.Scalar
                        || Index(e.Index, _counter, IsInvariantInt) is not { } at)
                    {
                        return false;
                    }

                    var access = new Access(e.Array, at.Base, at.Offset);
                    if (!Accesses.Contains(access))
                    {
                        Accesses.Add(access);
                    }

                    foreach (string name in at.Base is null ? Enumerable.Empty<string>() : ExprFacts.Reads(at.Base).OrderBy(n => n, System.StringComparer.Ordinal))
                    {
                        if (!Integers.Contains(name))
                        {
                            Integers.Add(name);
                        }
                    }

                    return true;

                case UnaryExpr { Op: UnaryOp.Negate or UnaryOp.Plus } u:
                    return u.Kind == _kind && Ok(u.Operand);

                case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Divide } b:
                    return b.Kind == _kind && Ok(b.Left) && Ok(b.Right);

                case MathCallExpr m:
                    bool known = m.Class is "global::System.Math" or "global::System.MathF"
                        && (AlwaysVector.Contains(m.Function) || (_support.Net9Math && Net9Vector.Contains(m.Function)));
                    bool arity = m.Function == "FusedMultiplyAdd" ? m.Args.Count == 3 : m.Args.Count == 1;
                    return known && arity && m.Kind == _kind && m.Args.All(Ok);

                default:
                    return false;
            }
        }

        // an int scalar the loop does not write (a base of an index)
        private bool IsInvariantInt(string name)
            => !_targets.Contains(name) && _context.Variables.TryGetValue(name, out VarInfo? info) && info.Kind == ScalarKind.Int && info.Shape == ShapeKind.Scalar;
    }
}
