using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <content>
/// The backward pass: adjoints declared, then the statements in reverse, loops frame by frame and ifs by the recorded
/// branch. With <see cref="_second"/> set (<c>{Name}BackwardTangent</c>, forward over reverse), every adjoint has a
/// tangent beside it (<c>e{slot}</c>, <c>es{slot}</c>), and every line that adds to an adjoint is followed by the line
/// that adds its derivative along the tangents (<see cref="Tangents"/>) to the adjoint's tangent.
/// </content>
internal sealed partial class TensorMethodEmitter
{
    // Set while writing {Name}BackwardTangent: the adjoints' tangents are written beside the adjoints.
    private Tangents? _second;

    /// <summary>
    /// The adjoints of a backward pass (or their tangents), by value: a tensor parameter's is a parameter of the
    /// generated method, a model tensor's its part of a gradient-shaped object (<c>gradient</c> or <c>hv</c>), an
    /// intermediate's what <see cref="DeclareAdjoints"/> made for its slot.
    /// </summary>
    private sealed class AdjointNames
    {
        private readonly System.Func<string, string> _parameter;
        private readonly string _root;

        public AdjointNames(System.Func<string, string> parameter, string root)
        {
            _parameter = parameter;
            _root = root;
        }

        /// <summary>Per slot of an intermediate, its adjoint's expression.</summary>
        public Dictionary<int, string> Slots { get; } = new();

        /// <summary>The adjoint of the tensor parameter named <paramref name="name"/>.</summary>
        public string Parameter(string name) => _parameter(name);

        /// <summary>The adjoint of a value ("null" for an inactive one).</summary>
        public string Of(TValue value) => !value.Active ? "null" : value.Source switch
        {
            TSource.Parameter => _parameter(value.Code),
            TSource.Field => _root + "." + value.Code,
            TSource.Temp => Slots[value.Slot],
            _ => "null",
        };
    }

    /// <summary>The names of a backward pass's tangents: of the primal values (written by <c>{Name}Tangent</c>) and of the adjoints.</summary>
    private sealed class Tangents
    {
        public Tangents(System.Func<TValue, string> value, Dictionary<string, string> adjointParameters)
        {
            Value = value;
            Adjoints = new AdjointNames(name => adjointParameters[name], "hv");
        }

        /// <summary>The tangent of a primal value ("null" or "0f" for none).</summary>
        public System.Func<TValue, string> Value { get; }

        /// <summary>The adjoints' tangents.</summary>
        public AdjointNames Adjoints { get; }

        /// <summary>The tangent of a value's adjoint.</summary>
        public string Adjoint(TValue value) => Adjoints.Of(value);
    }

    private void EmitBackward(TensorMethod method, CodeBlock body)
    {
        _tapeType = method.TapeType;
        TValue result = method.Result!;
        HashSet<int> used = ReadSlots(method.Body);

        // The result's adjoint is dResult itself when nothing else reads the result (no copy).
        bool alias = result is { Source: TSource.Temp, Kind: TKind.Tensor, Active: true } && !used.Contains(result.Slot);
        var names = new AdjointNames(name => "d" + name, "gradient");
        Comment(body, "adjoints of the intermediates start at zero (deferred: the first kernel to write one overwrites it)");
        DeclareAdjoints(body, method.Body.SelectMany(TargetsOf), names.Slots, alias ? new Dictionary<int, (string, string)> { [result.Slot] = ("dResult", "tdResult") } : null);

        Comment(body, "seed: the result's adjoint is dResult");
        if (result.Active && !alias)
        {
            body.Line(result.Kind == TKind.Float ? $"{names.Of(result)} += dResult;" : $"global::Autodiff.TensorDerivatives.Accumulate({names.Of(result)}, dResult);");
            if (_second is { } second)
            {
                body.Line(result.Kind == TKind.Float ? $"{second.Adjoint(result)} += tdResult;" : $"if (tdResult is not null) global::Autodiff.TensorDerivatives.Accumulate({second.Adjoint(result)}, tdResult);");
            }
        }

        EmitReverse(body, method.Body, names.Of, names.Slots);
    }

    /// <summary>Zero adjoints for the active targets (and their tangents, in a second-order pass), or the incoming ones they alias.</summary>
    private void DeclareAdjoints(CodeBlock body, IEnumerable<TValue> targets, Dictionary<int, string> adjoint, Dictionary<int, (string D, string E)>? aliases)
    {
        foreach (TValue target in targets.Where(t => t.Active))
        {
            string slot = S(target.Slot), owner = Prefix(target.Slot);
            if (target.Kind == TKind.Float)
            {
                adjoint[target.Slot] = "ds" + slot;
                body.Line($"float ds{slot} = 0f;");
                if (_second is { } second)
                {
                    second.Adjoints.Slots[target.Slot] = "es" + slot;
                    body.Line($"float es{slot} = 0f;");
                }
            }
            else if (aliases is not null && aliases.TryGetValue(target.Slot, out (string D, string E) alias))
            {
                adjoint[target.Slot] = alias.D;
                if (_second is { } second)
                {
                    second.Adjoints.Slots[target.Slot] = alias.E;
                }
            }
            else
            {
                adjoint[target.Slot] = $"{owner}d{slot}!";
                body.Line($"{owner}d{slot} = {Tensor}.ReuseLike({owner}d{slot}, {owner}t{slot}!);");
                body.Line($"{owner}d{slot}.ClearDeferred();");
                if (_second is { } second)
                {
                    second.Adjoints.Slots[target.Slot] = $"{owner}e{slot}!";
                    body.Line($"{owner}e{slot} = {Tensor}.ReuseLike({owner}e{slot}, {owner}t{slot}!);");
                    body.Line($"{owner}e{slot}.ClearDeferred();");
                }
            }
        }
    }

    /// <summary>Reverse sweep: primal statements last to first, each one's pieces in reverse.</summary>
    private void EmitReverse(CodeBlock body, IEnumerable<TStmt> statements, System.Func<TValue, string> adjoint, Dictionary<int, string> adjoints)
    {
        var groups = new List<List<TStmt>>();
        foreach (TStmt statement in statements)
        {
            if (statement.Comment.Length > 0 || groups.Count == 0)
            {
                groups.Add(new List<TStmt>());
            }

            groups[groups.Count - 1].Add(statement);
        }

        for (int g = groups.Count - 1; g >= 0; g--)
        {
            var active = groups[g].Where(st => TargetsOf(st).Any(t => t.Active)).ToList();
            if (active.Count == 0)
            {
                continue;
            }

            Comment(body, groups[g][0].Comment.Length > 0 ? "∂ " + groups[g][0].Comment : string.Empty);
            for (int i = active.Count - 1; i >= 0; i--)
            {
                if (active[i] is TLoopStmt loop)
                {
                    EmitLoopBackward(body, loop, adjoint, adjoints);
                }
                else if (active[i] is TIfStmt branch)
                {
                    EmitIfBackward(body, branch, adjoint, adjoints);
                }
                else
                {
                    EmitStatementBackward(body, active[i], adjoint);
                }
            }
        }
    }

    /// <summary>
    /// A loop, backward: frames last to first; each frame's carried outputs take the adjoints coming from the next
    /// frame (or from after the loop), and its inputs' adjoints go to the previous frame.
    /// </summary>
    private void EmitLoopBackward(CodeBlock body, TLoopStmt loop, System.Func<TValue, string> adjoint, Dictionary<int, string> adjoints)
    {
        string k = S(loop.Frame), frame = "__f" + k, owner = Owner();
        for (int j = 0; j < loop.Results.Count; j++)
        {
            TValue result = loop.Results[j];
            body.Line(result.Kind == TKind.Tensor
                ? $"{Tensor}? __d{k}_{S(j)} = {(result.Active ? adjoint(result) : "null")};"
                : $"float __d{k}_{S(j)} = {(result.Active ? adjoint(result) : "0f")};");
            if (_second is { } second)
            {
                body.Line(result.Kind == TKind.Tensor
                    ? $"{Tensor}? __e{k}_{S(j)} = {(result.Active ? second.Adjoint(result) : "null")};"
                    : $"float __e{k}_{S(j)} = {(result.Active ? second.Adjoint(result) : "0f")};");
            }
        }

        using (body.Block($"for (int {loop.Index} = {owner}n{k} - 1; {loop.Index} >= 0; {loop.Index}--)"))
        {
            body.Line($"{_tapeType}.Frame{k} {frame} = {owner}f{k}![{loop.Index}]!;");
            using (EnterFrame(loop))
            {
                Dictionary<int, (string, string)> aliases = IncomingAliases(loop.Outputs, loop.Results, o => loop.FrameSlots.Contains(o.Slot) && !loop.Inputs.Contains(o),
                    ReadSlots(loop.Body), j => ($"__d{k}_{S(j)}!", $"__e{k}_{S(j)}!"));
                DeclareAdjoints(body, loop.Inputs.Concat(loop.Body.SelectMany(TargetsOf)), adjoints, aliases);

                // The first frame's input adjoints are wanted only when the loop's initial value needs one: for an
                // inactive value never, for a parameter only when the caller passed its adjoint (the first layer's
                // input gradient, usually the largest product, is skipped otherwise).
                for (int j = 0; j < loop.Inputs.Count; j++)
                {
                    TValue input = loop.Inputs[j], initial = loop.Initial[j];
                    if (input.Kind == TKind.Tensor && (!initial.Active || initial.Source == TSource.Parameter))
                    {
                        string own = $"{Prefix(input.Slot)}d{S(input.Slot)}";
                        adjoints[input.Slot] = initial.Active
                            ? $"({loop.Index} == 0 && d{initial.Code} is null ? null : {own})"
                            : $"({loop.Index} == 0 ? null : {own})";
                        if (_second is { } second)
                        {
                            string ownTangent = $"{Prefix(input.Slot)}e{S(input.Slot)}";
                            second.Adjoints.Slots[input.Slot] = initial.Active
                                ? $"({loop.Index} == 0 && {second.Adjoints.Parameter(initial.Code)} is null ? null : {ownTangent})"
                                : $"({loop.Index} == 0 ? null : {ownTangent})";
                        }
                    }
                }
                HandIncoming(body, loop.Outputs, loop.Results, aliases, adjoint, j => ($"__d{k}_{S(j)}", $"__e{k}_{S(j)}"));
                EmitReverse(body, loop.Body, adjoint, adjoints);
                for (int j = 0; j < loop.Inputs.Count; j++)
                {
                    body.Line($"__d{k}_{S(j)} = {adjoint(loop.Inputs[j])};");
                    if (_second is { } second)
                    {
                        body.Line($"__e{k}_{S(j)} = {second.Adjoint(loop.Inputs[j])};");
                    }
                }
            }
        }

        for (int j = 0; j < loop.Initial.Count; j++)
        {
            TValue initial = loop.Initial[j];
            if (!initial.Active)
            {
                continue;
            }

            body.Line(AddAdjoint(initial, adjoint(initial), $"__d{k}_{S(j)}"));
            if (_second is { } second)
            {
                body.Line(AddAdjoint(initial, second.Adjoint(initial), $"__e{k}_{S(j)}"));
            }
        }
    }

    /// <summary>
    /// The if, backward: the branch that ran (read off the tape) gets its intermediates' adjoints, hands each merged
    /// value's adjoint to that branch's output, and runs its statements' reverse.
    /// </summary>
    private void EmitIfBackward(CodeBlock body, TIfStmt branch, System.Func<TValue, string> adjoint, Dictionary<int, string> adjoints)
    {
        void Side(IReadOnlyList<TStmt> statements, IReadOnlyList<TValue> outputs)
        {
            var targets = statements.SelectMany(TargetsOf).ToList();
            (string, string) Incoming(int j) => (adjoint(branch.Results[j]), _second?.Adjoint(branch.Results[j]) ?? string.Empty);
            Dictionary<int, (string, string)> aliases = IncomingAliases(outputs, branch.Results, targets.Contains, ReadSlots(statements), Incoming);
            DeclareAdjoints(body, targets, adjoints, aliases);
            HandIncoming(body, outputs, branch.Results, aliases, adjoint, Incoming);
            EmitReverse(body, statements, adjoint, adjoints);
        }

        using (body.Block($"if ({Prefix(branch.ConditionSlot)}b{S(branch.ConditionSlot)})"))
        {
            Side(branch.Then, branch.ThenOutputs);
        }

        using (body.Block("else"))
        {
            Side(branch.Else, branch.ElseOutputs);
        }
    }

    /// <summary>
    /// The outputs of a loop frame or of an if's branch that take the adjoint coming in for them as is (no copy):
    /// active tensors computed there (<paramref name="computedHere"/>), read nowhere there, each listed once.
    /// </summary>
    private Dictionary<int, (string, string)> IncomingAliases(IReadOnlyList<TValue> outputs, IReadOnlyList<TValue> results, System.Func<TValue, bool> computedHere,
        HashSet<int> read, System.Func<int, (string, string)> incoming)
    {
        var aliases = new Dictionary<int, (string, string)>();
        for (int j = 0; j < outputs.Count; j++)
        {
            TValue output = outputs[j];
            if (results[j].Active && output is { Source: TSource.Temp, Kind: TKind.Tensor, Active: true } && computedHere(output)
                && !read.Contains(output.Slot) && outputs.Count(o => o == output) == 1)
            {
                aliases[output.Slot] = incoming(j);
            }
        }

        return aliases;
    }

    /// <summary>Adds the adjoint coming in for each active result into its (not aliased, active) output's adjoint.</summary>
    private void HandIncoming(CodeBlock body, IReadOnlyList<TValue> outputs, IReadOnlyList<TValue> results, Dictionary<int, (string, string)> aliases,
        System.Func<TValue, string> adjoint, System.Func<int, (string D, string E)> incoming)
    {
        for (int j = 0; j < outputs.Count; j++)
        {
            if (results[j].Active && outputs[j].Active && !aliases.ContainsKey(outputs[j].Slot))
            {
                body.Line(AddAdjoint(outputs[j], adjoint(outputs[j]), incoming(j).D));
                if (_second is { } second)
                {
                    body.Line(AddAdjoint(outputs[j], second.Adjoint(outputs[j]), incoming(j).E));
                }
            }
        }
    }

    private void EmitStatementBackward(CodeBlock body, TStmt statement, System.Func<TValue, string> adjoint)
    {
        switch (statement)
        {
            case TOpStmt op:
                body.Line($"{op.Vjp}({Join(Args(op.Args), Read(op.Target), adjoint(op.Target), PerTensorArgument(op, adjoint))});");
                if (_second is { } tangents)
                {
                    body.Line($"{op.VjpTangent}({Join(Args(op.Args), Read(op.Target), adjoint(op.Target), PerTensorArgument(op, tangents.Value), tangents.Adjoint(op.Target), PerTensorArgument(op, tangents.Adjoint))});");
                }

                break;
            case TCallStmt call when _second is { } second:
                body.Line($"{Receiver(call)}.{call.Method}BackwardTangent({Join($"{TapeSlot(call.TapeSlot)}!", Args(call.Args), adjoint(call.Target), second.Adjoint(call.Target), Part("tangent", call), PerDifferentiableArgument(call, second.Value),
                    Part("gradient", call), Part("hv", call), PerDifferentiableArgument(call, adjoint), PerDifferentiableArgument(call, second.Adjoint))});");
                break;
            case TCallStmt call:
                body.Line($"{Receiver(call)}.{call.Method}Backward({Join($"{TapeSlot(call.TapeSlot)}!", Args(call.Args), adjoint(call.Target), Part("gradient", call), PerDifferentiableArgument(call, adjoint))});");
                break;

            case TScalarStmt scalar:
                EmitScalarBackward(body, scalar, adjoint);
                break;
        }
    }

    /// <summary>Per tensor argument of an op, its adjoint or tangent: the trailing arguments of its VJP and JVP.</summary>
    private string PerTensorArgument(TOpStmt op, System.Func<TValue, string> derivative)
        => string.Join(", ", op.Args.Where(a => a.Kind == TKind.Tensor).Select(derivative));

    /// <summary>Per argument a called model method differentiates, its adjoint or tangent.</summary>
    private string PerDifferentiableArgument(TCallStmt call, System.Func<TValue, string> derivative)
        => string.Join(", ", call.Args.Where((_, k) => call.Differentiable[k]).Select(derivative));

    /// <summary>The callee's part of a model-shaped object (gradient or tangent): the object itself, or its layer's member.</summary>
    private string Part(string root, TCallStmt call) => call.Receiver.Length == 0 ? root : root + "." + call.Receiver;

    private void EmitScalarBackward(CodeBlock body, TScalarStmt s, System.Func<TValue, string> adjoint)
    {
        string d = adjoint(s.Target);
        TValue left = s.Left;
        TValue? right = s.Right;
        void Add(TValue value, string term)
        {
            if (value.Active)
            {
                body.Line($"{adjoint(value)} += {term};");
            }
        }

        switch (s.Op)
        {
            case TScalarOp.Add: Add(left, d); Add(right!, d); break;
            case TScalarOp.Subtract: Add(left, d); Add(right!, "-" + d); break;
            case TScalarOp.Multiply: Add(left, $"{d} * {Read(right!)}"); Add(right!, $"{d} * {Read(left)}"); break;
            case TScalarOp.Divide: Add(left, $"{d} / {Read(right!)}"); Add(right!, $"-{d} * {Read(s.Target)} / {Read(right!)}"); break;
            default: Add(left, "-" + d); break;
        }

        if (_second is { } second)
        {
            EmitScalarBackwardTangent(body, s, second, d);
        }
    }

    /// <summary>
    /// The tangents of a float statement's adjoint terms: the product rule on each term above, with e the adjoint's
    /// tangent and j the values' (terms of inactive values or with a zero tangent left out).
    /// </summary>
    private void EmitScalarBackwardTangent(CodeBlock body, TScalarStmt s, Tangents second, string d)
    {
        string e = second.Adjoint(s.Target);
        TValue left = s.Left;
        TValue? right = s.Right;
        void Add(TValue value, params string?[] terms)
        {
            var kept = terms.Where(t => t is not null).ToList();
            if (value.Active && kept.Count > 0)
            {
                body.Line($"{second.Adjoint(value)} += {string.Join(" + ", kept)};");
            }
        }

        string? Times(string factor, TValue value, string sign = "")
            => value.Active && value.Kind == TKind.Float ? $"{sign}{factor} * {second.Value(value)}" : null;

        switch (s.Op)
        {
            case TScalarOp.Add: Add(left, e); Add(right!, e); break;
            case TScalarOp.Subtract: Add(left, e); Add(right!, "-" + e); break;
            case TScalarOp.Multiply:
                Add(left, $"{e} * {Read(right!)}", Times(d, right!));
                Add(right!, $"{e} * {Read(left)}", Times(d, left));
                break;
            case TScalarOp.Divide:
                string r = Read(right!), y = Read(s.Target);
                Add(left, $"{e} / {r}", Times($"{d} / ({r} * {r})", right!, "-"));
                Add(right!, $"-{e} * {y} / {r}", Times($"{d} / {r}", s.Target, "-"), Times($"{d} * {y} / ({r} * {r})", right!));
                break;
            default: Add(left, "-" + e); break;
        }
    }
}
