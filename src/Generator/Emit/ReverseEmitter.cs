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

    // While a fused iteration is written: its reverse runs right after its forward, so nothing is stored, and a value a
    // statement directly in the iteration (at _fusedDepth, loops in it included) overwrites is kept in a local, not on
    // the tape: the save and its restore both happen once per iteration.
    private bool _fusedIteration;
    private int _fusedDepth = -1;

    // Set while a selection loop's body is emitted: its reverse runs for the picked iteration only, after recomputing
    // that iteration's locals, so nothing in it is saved or stored.
    private bool _noSaves;

    // The loop depth of the ordinary loop body being written, where calls with array arguments are split (0: none).
    private int _splitDepth;

    // Set while the body of a loop that vector loops will run is written (a VectorPlan, a counter that RunsForwards): a
    // transcendental value its chain rule needs is computed again in the reverse part's lanes, not stored, since a push
    // per iteration would keep both parts scalar.
    private bool _inVectorLoop;

    public ReverseEmitter(MethodContext context) => _c = context;

    /// <summary>The method's body: like <see cref="EmitSequence"/>, but a final accumulation loop is fused (see <see cref="LoopFusion"/>).</summary>
    public (CodeBlock Forward, CodeBlock Reverse) EmitBody(IReadOnlyList<Stmt> body, Expr seed)
    {
        _body = body;
        if (FusedAccumulator(body, _c) is { } accumulator)
        {
            var loop = (LoopStmt)body[body.Count - 2];
            (CodeBlock forward, CodeBlock reverse) = EmitSequence(body.Take(body.Count - 2), 0);
            string? zeroed = body.Count >= 3 && body[body.Count - 3] is AssignStmt { Index: null, Value: ConstExpr { Text: "0" } } start ? start.Target : null;
            forward.Append(EmitFusedLoop(loop, accumulator, seed, zeroed, forward, reverse));
            var tail = (AssignStmt)body[body.Count - 1];
            forward.Comment(tail.Comment);
            forward.Add(new AssignCode(Build.Var(tail.Value.Kind, tail.Target), tail.Value));
            return (forward, reverse);
        }

        return EmitSequence(body, 0);
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
                ArrayDeclStmt d => EmitArrayDecl(d, depth),
                IfStmt s => EmitIf(s, depth),
                LoopStmt l => EmitLoop(l, depth),
                GuardStmt g => (new CodeBlock().Comment(g.Comment).Line(g.Text), new CodeBlock()),
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
        Expr target = assign.Index is null ? Build.Var(variable.Kind, assign.Target) : new ElemExpr(variable.Kind, assign.Target, assign.Index);
        var forward = new CodeBlock().Comment(assign.Comment);
        // The old value's save goes after the pushes of stored values (below), so that the reverse pops them after the restore.
        var saving = new CodeBlock();
        Code? restore = null;
        if (!_noSaves && _c.Needs.NeedsRestoreAt(assign))
        {
            if (ExprFacts.IsInvertibleIncrement(assign, out BinaryOp inverse, out Expr? amount))
            {
                restore = new AssignCode(target, new BinaryExpr(variable.Kind, inverse, target, amount!));
            }
            else if (SavesOldValue(assign, depth, _fusedIteration))
            {
                restore = new AssignCode(target, Save(saving, target, variable.Kind, depth));
            }
        }

        // A call the lifting took out of its statement (CallLifting.Liftable): outside loops, or in the body of an ordinary
        // loop (not fused, checkpointed, run again or a selection), where its partials go on the tapes.
        bool splits = depth == 0 || (depth == _splitDepth && !_fusedIteration && !_noSaves);
        if (splits && assign.Index is null && assign.Value is CallExpr call && CallLifting.Liftable(call, inLoop: depth > 0)
            && _c.Activity.IsActive(assign.Target) && _c.Activity.IsActive(call))
        {
            forward.Append(saving);
            return _c.Pairs.DirectionalOf(assign) is { } directional && _directionalValues.TryGetValue(directional, out DirectionalValue? paired)
                ? EmitPairedCall(assign, call, forward, restore, variable, paired)
                : EmitSplitCall(assign, call, forward, restore, variable, onTape: depth > 0);
        }

        // Inside a loop (not a fused iteration, whose reverse runs right after its forward, nor a vector loop), a
        // transcendental value the chain rule needs is stored on the tape when the forward sweep computes it, not
        // recomputed in the reverse.
        List<(Expr Node, string Name)>? stored = depth > 0 && !_fusedIteration && !_noSaves && !_inVectorLoop ? new() : null;

        var reverse = new CodeBlock();
        ValueScope? scope = null;
        if (_c.Activity.IsActive(assign.Target))
        {
            reverse.Comment(assign.Comment);
            Expr adjoint = assign.Index is null ? Build.Var(variable.Kind, _c.Derivative(assign.Target)) : new ElemExpr(variable.Kind, _c.Derivative(assign.Target), assign.Index);
            string keyword = TypeClassifier.Keyword(variable.Kind);
            if (_c.Activity.IsActive(assign.Value))
            {
                string g = _c.Temp("__g");
                reverse.Add(new DeclareCode(keyword, g, adjoint));

                // s = s ± e (e not reading s): the adjoint of s passes through unchanged, so it is neither reset
                // nor added back; only e receives ±g.
                Expr? increment = ExprFacts.AccumulatedTerm(assign);
                if (increment is null)
                {
                    reverse.Add(new AssignCode(adjoint, Build.Lit(0, variable.Kind)));
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
                    scope.Remember(assign.Value, Build.Var(variable.Kind, result));
                }

                _stored = stored;
                if (increment is null)
                {
                    Backprop(assign.Value, new Adjoint(Build.Var(variable.Kind, g)), scope);
                }
                else
                {
                    Child(increment, new Adjoint(Build.Var(variable.Kind, g), ((BinaryExpr)assign.Value).Op != BinaryOp.Add), scope);
                }

                _stored = null;

                scope.FlushAccumulations();
                CodeBlock chain = depth == 0 ? scope.Body : scope.Flatten();
                if (result is not null && CodeFacts.Mentions(chain, result))
                {
                    reverse.Add(new DeclareCode(keyword, result, target));
                }

                if (restore is not null)
                {
                    reverse.Add(restore);
                }

                // The stored values come back in the reverse order of their pushes, whether or not the chain runs.
                for (int k = stored?.Count - 1 ?? -1; k >= 0; k--)
                {
                    ScalarKind kind = stored![k].Node.Kind;
                    reverse.Add(new DeclareCode(TypeClassifier.Keyword(kind), stored[k].Name, new TapePopExpr(kind, _c.TapeFor(kind))));
                }

                if (increment is null && assign.Index is null && IsOverwritten(assign.Target) && MayHaveNonFinitePartial(assign.Value))
                {
                    // A definition a later one may replace (r = Math.Sqrt(x - 5); if (y < 5) r = y * x;): on the path
                    // that replaced it its adjoint is zero, and zero times a partial that is infinite or NaN there
                    // (0.5 / NaN) would make the gradient NaN where the function is differentiable. Skip it then.
                    reverse.Add(new IfCode(Build.Compare(BinaryOp.NotEqual, Build.Var(variable.Kind, g), Build.Lit(0, variable.Kind)), chain, new CodeBlock()));
                }
                else
                {
                    reverse.Append(chain);
                }
            }
            else
            {
                reverse.Add(new AssignCode(adjoint, Build.Lit(0, variable.Kind)));
                if (restore is not null)
                {
                    reverse.Add(restore);
                }
            }
        }
        else if (restore is not null)
        {
            reverse.Comment(assign.Comment + "   (restore)");
            reverse.Add(restore);
        }

        if (depth == 0 && scope is not null)
        {
            forward.Append(saving);
            forward.Append(scope.OwnPre);
            forward.Add(new AssignCode(target, scope.Known(assign.Value)));
        }
        else if (stored is { Count: > 0 })
        {
            // Compute each stored value once, push it, and use it in the statement itself.
            var names = new Dictionary<Expr, Expr>(ReferenceComparer<Expr>.Instance);
            foreach ((Expr node, string name) in stored)
            {
                string value = _c.Temp("__s");
                forward.Add(new DeclareCode(TypeClassifier.Keyword(node.Kind), value, Build.Substitute(node, n => names.TryGetValue(n, out Expr? known) ? known : null)));
                forward.Add(new PushCode(_c.TapeFor(node.Kind), Build.Var(node.Kind, value)));
                names[node] = Build.Var(node.Kind, value);
            }

            forward.Append(saving);
            forward.Add(new AssignCode(target, Build.Substitute(assign.Value, n => names.TryGetValue(n, out Expr? known) ? known : null)));
        }
        else
        {
            forward.Append(saving);
            forward.Add(new AssignCode(target, assign.Value));
        }

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

    // A fused iteration's reverse follows its forward, so none of its locals is saved; elsewhere a local is saved
    // unless the loop's reverse recomputes it.
    private bool SavesOldValue(AssignStmt assign, int depth, bool fused)
        => !(assign.IsDeclaration && depth == 0 && assign.Index is null)
            && !(fused ? _c.Recomputation.IsRecomputable(assign) : _c.Recomputation.IsRecomputedInReverse(assign));

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
                        || (_c.Needs.NeedsRestoreAt(a) && !ExprFacts.IsInvertibleIncrement(a, out _, out _) && SavesOldValue(a, depth, fused: false));
                    _staysPut[a.Target] = exact && (!_staysPut.TryGetValue(a.Target, out bool before) || before);
                }
            }
        }

        return _staysPut.TryGetValue(assign.Target, out bool ok) && ok;
    }

    // Store on overwrite: returns how the reverse sweep reads the old value back (to restore it).
    private Expr Save(CodeBlock forward, Expr target, ScalarKind kind, int depth)
    {
        if (depth == 0 || depth == _fusedDepth)
        {
            VarExpr slot = DeclareSlot("__saved", kind);
            forward.Add(new AssignCode(slot, target));
            return slot;
        }

        return TapePush(forward, target, kind);
    }

    /// <summary>Pushes <paramref name="value"/> on its kind's tape (a bool as an int); returns the pop that reads it back.</summary>
    private Expr TapePush(CodeBlock forward, Expr value, ScalarKind kind)
    {
        string tape = _c.TapeFor(kind);
        if (kind == ScalarKind.Bool)
        {
            forward.Add(new PushCode(tape, new CondExpr(ScalarKind.Int, value, Build.Int(1), Build.Int(0))));
            return Build.Compare(BinaryOp.NotEqual, new TapePopExpr(ScalarKind.Int, tape), Build.Int(0));
        }

        forward.Add(new PushCode(tape, value));
        return new TapePopExpr(kind, tape);
    }

    /// <summary>A local of the whole method (declared at the top, <c>default</c> until written), for a value kept from one sweep to the other.</summary>
    private VarExpr DeclareSlot(string stem, ScalarKind kind)
    {
        var slot = Build.Var(kind, _c.Temp(stem));
        _c.Declarations.Add(new DeclareCode(TypeClassifier.Keyword(kind), slot.Name, new OpaqueExpr(kind, "default")));
        return slot;
    }

    private (CodeBlock, CodeBlock) EmitArrayDecl(ArrayDeclStmt declaration, int depth)
    {
        VarInfo array = _c.Variables[declaration.Name];
        var forward = new CodeBlock().Comment(declaration.Comment);
        var reverse = new CodeBlock();
        string length = _c.Temp("__length");
        _c.Declarations.Add(new DeclareCode("int", length, Build.Int(0)));
        forward.Add(new AssignCode(Build.Var(ScalarKind.Int, length), declaration.Length));
        var names = new List<string> { array.Name };
        if (_c.HasDerivative(array.Name))
        {
            names.Add(_c.Derivative(array.Name));
        }

        var restores = new List<CodeBlock>();
        foreach (string name in names)
        {
            if (depth > 0)
            {
                // Made again in every iteration: each iteration's array is its own, so the one before is kept for the
                // reverse sweep (its storage and length on tapes), and put back when the reverse of this iteration is done.
                restores.Add(KeepPooledArray(forward, array.Kind, name));
            }

            PooledArray(forward, array.Kind, name, Build.Var(ScalarKind.Int, length));
        }

        // Last pushed, first popped.
        for (int i = restores.Count - 1; i >= 0; i--)
        {
            reverse.Append(restores[i]);
        }

        return (forward, reverse);
    }

    // Pushes the current storage and length of a pooled array; returns the reverse, which gives this iteration's storage
    // back and pops them.
    private CodeBlock KeepPooledArray(CodeBlock forward, ScalarKind kind, string name)
    {
        if (_c.Variables.TryGetValue(name, out VarInfo? heap) && heap.Heap)
        {
            // A new T[] in every iteration (passed where an array is expected): the one before is kept by reference.
            string heapArrays = _c.ArrayTapeFor(kind);
            forward.Add(new PushCode(heapArrays, Build.Var(kind, name)));
            // The tape holds T[]? (pooled storage may be null); what a heap array's push kept is never null.
            return new CodeBlock().Add(new AssignCode(Build.Var(kind, name), new TapePopExpr(kind, heapArrays, NotNull: true)));
        }

        string buffer = BufferOf(name);
        string arrays = _c.ArrayTapeFor(kind);
        string lengths = _c.TapeFor(ScalarKind.Int);
        forward.Add(new PushCode(arrays, Build.Var(kind, buffer)));
        forward.Add(new PushCode(lengths, new LengthExpr(name)));
        VarExpr kept = DeclareSlot("__keptLength", ScalarKind.Int);
        var restore = new CodeBlock();
        restore.Add(new ReturnCode(kind, buffer, IfRented: true));
        restore.Add(new AssignCode(kept, new TapePopExpr(ScalarKind.Int, lengths)));
        restore.Add(new AssignCode(Build.Var(kind, buffer), new TapePopExpr(kind, arrays)));
        restore.Add(new AssignCode(Build.Var(kind, name), new SpanExpr(kind, buffer, kept, ReadOnly: false)));
        return restore;
    }

    /// <summary>A zeroed span over a pooled array, declared at the top and given back at the end (no allocation per call);
    /// a new array for a local that is passed where an array is expected.</summary>
    public void PooledArray(CodeBlock forward, ScalarKind kind, string name, Expr length, bool reuse = false)
    {
        string keyword = TypeClassifier.Keyword(kind);
        if (_c.Variables.TryGetValue(name, out VarInfo? local) && local.Heap && length is VarExpr count)
        {
            // Passed where an array is expected: a new array, as the method makes (see VarInfo.Heap).
            _c.Declarations.Add(new DeclareCode(keyword + "[]", name, new OpaqueExpr(kind, "null!")));
            forward.Add(new AssignCode(Build.Var(kind, name), new OpaqueExpr(kind, "new " + keyword + "[" + count.Name + "]")));
            return;
        }

        string buffer = BufferOf(name);
        if (_declaredBuffers.Add(name))
        {
            _c.Declarations.Add(new DeclareCode(keyword + "[]?", buffer, new OpaqueExpr(kind, "null")));
            _c.Declarations.Add(new DeclareCode($"global::System.Span<{keyword}>", name, new OpaqueExpr(kind, "default")));
            _c.Cleanup.Add(new ReturnCode(kind, buffer, IfRented: true));
        }

        if (reuse)
        {
            // Made again in a loop of forward mode, where nothing is kept: the storage is reused when it is long enough.
            var grow = new CodeBlock();
            grow.Add(new ReturnCode(kind, buffer, IfRented: true));
            grow.Add(new AssignCode(Build.Var(kind, buffer), new RentExpr(kind, length)));
            forward.Add(new IfCode(new OpaqueExpr(ScalarKind.Bool, $"{buffer} is null || {buffer}.Length < {ExprPrinter.Print(length)}"), grow, new CodeBlock()));
        }
        else
        {
            forward.Add(new AssignCode(Build.Var(kind, buffer), new RentExpr(kind, length)));
        }

        forward.Add(new AssignCode(Build.Var(kind, name), new SpanExpr(kind, buffer, length, ReadOnly: false)));
        forward.Add(new ClearCode(name));
    }

    // The pooled storage of each array, named once per method.
    private readonly HashSet<string> _declaredBuffers = new();
    private readonly Dictionary<string, string> _buffers = new();

    private string BufferOf(string name)
    {
        if (!_buffers.TryGetValue(name, out string? buffer))
        {
            buffer = _c.Fresh("__buffer_" + name.TrimStart('_'));
            _buffers[name] = buffer;
        }

        return buffer;
    }

    private (CodeBlock, CodeBlock) EmitIf(IfStmt statement, int depth)
    {
        (CodeBlock thenForward, CodeBlock thenReverse) = EmitSequence(statement.Then, depth);
        (CodeBlock elseForward, CodeBlock elseReverse) = EmitSequence(statement.Else, depth);
        Expr condition = statement.Condition;
        var forward = new CodeBlock().Comment(statement.Comment);
        var reverse = new CodeBlock();
        if (thenReverse.IsEmpty && elseReverse.IsEmpty)
        {
            forward.Add(new IfCode(condition, thenForward, elseForward));
            return (forward, reverse);
        }

        Expr replay;
        if (ReverseNeeds.CanRecompute(statement))
        {
            // The branches do not touch the condition's inputs: the reverse sweep evaluates it again.
            replay = condition;
            forward.Add(new IfCode(condition, thenForward, elseForward));
        }
        else if (depth == 0)
        {
            string branch = _c.Temp("__branch");
            replay = Build.Var(ScalarKind.Bool, branch);
            _c.Declarations.Add(new DeclareCode("bool", branch, new ConstExpr(ScalarKind.Bool, "false")));
            forward.Add(new AssignCode(replay, condition));
            forward.Add(new IfCode(replay, thenForward, elseForward));
        }
        else
        {
            string tape = _c.TapeFor(ScalarKind.Int);
            replay = Build.Compare(BinaryOp.NotEqual, new TapePopExpr(ScalarKind.Int, tape), Build.Int(0));
            // Pushed after the branch's own pushes, so that the reverse sweep pops it first (LIFO).
            var recordThen = new CodeBlock();
            recordThen.Append(thenForward);
            recordThen.Add(new PushCode(tape, Build.Int(1)));
            var recordElse = new CodeBlock();
            recordElse.Append(elseForward);
            recordElse.Add(new PushCode(tape, Build.Int(0)));
            forward.Add(new IfCode(condition, recordThen, recordElse, ForceElse: true));
        }

        reverse.Comment(statement.Comment + "   (replayed backwards)");
        reverse.Add(new IfCode(replay, thenReverse, elseReverse));
        return (forward, reverse);
    }
}
