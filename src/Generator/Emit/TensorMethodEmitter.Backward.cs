using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <content>The backward pass: adjoints declared, then the statements in reverse, loops frame by frame and ifs by the recorded branch.</content>
internal sealed partial class TensorMethodEmitter
{
    private void EmitBackward(TensorMethod method, CodeBlock body)
    {
        _tapeType = method.TapeType;
        TValue result = method.Result!;
        HashSet<int> used = ReadSlots(method.Body);

        // The result's adjoint is dResult itself when nothing else reads the result (no copy).
        bool alias = result is { Source: TSource.Temp, Kind: TKind.Tensor, Active: true } && !used.Contains(result.Slot);
        var adjoint = new Dictionary<int, string>();
        Comment(body, "adjoints of the intermediates start at zero (deferred: the first kernel to write one overwrites it)");
        DeclareAdjoints(body, method.Body.SelectMany(TargetsOf), adjoint, alias ? new Dictionary<int, string> { [result.Slot] = "dResult" } : null);

        string Adjoint(TValue value) => !value.Active ? "null" : value.Source switch
        {
            TSource.Parameter => "d" + value.Code,
            TSource.Field => "gradient." + value.Code,
            TSource.Temp => adjoint[value.Slot],
            _ => "null",
        };

        Comment(body, "seed: the result's adjoint is dResult");
        if (result.Active && !alias)
        {
            body.Line(result.Kind == TKind.Float ? $"{Adjoint(result)} += dResult;" : $"global::Autodiff.TensorDerivatives.Accumulate({Adjoint(result)}, dResult);");
        }

        EmitReverse(body, method.Body, Adjoint, adjoint);
    }

    private void DeclareAdjoints(CodeBlock body, IEnumerable<TValue> targets, Dictionary<int, string> adjoint, Dictionary<int, string>? aliases)
    {
        foreach (TValue target in targets.Where(t => t.Active))
        {
            string slot = S(target.Slot), owner = Prefix(target.Slot);
            if (target.Kind == TKind.Float)
            {
                adjoint[target.Slot] = "ds" + slot;
                body.Line($"float ds{slot} = 0f;");
            }
            else if (aliases is not null && aliases.TryGetValue(target.Slot, out string? alias))
            {
                adjoint[target.Slot] = alias;
            }
            else
            {
                adjoint[target.Slot] = $"{owner}d{slot}!";
                body.Line($"{owner}d{slot} = {Tensor}.ReuseLike({owner}d{slot}, {owner}t{slot}!);");
                body.Line($"{owner}d{slot}.ClearDeferred();");
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
        }

        using (body.Block($"for (int {loop.Index} = {owner}n{k} - 1; {loop.Index} >= 0; {loop.Index}--)"))
        {
            body.Line($"{_tapeType}.Frame{k} {frame} = {owner}f{k}![{loop.Index}]!;");
            using (EnterFrame(loop))
            {
                Dictionary<int, string> aliases = IncomingAliases(loop.Outputs, loop.Results, o => loop.FrameSlots.Contains(o.Slot) && !loop.Inputs.Contains(o),
                    ReadSlots(loop.Body), j => $"__d{k}_{S(j)}!");
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
                    }
                }
                HandIncoming(body, loop.Outputs, loop.Results, aliases, adjoint, j => $"__d{k}_{S(j)}");
                EmitReverse(body, loop.Body, adjoint, adjoints);
                for (int j = 0; j < loop.Inputs.Count; j++)
                {
                    body.Line($"__d{k}_{S(j)} = {adjoint(loop.Inputs[j])};");
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
            Dictionary<int, string> aliases = IncomingAliases(outputs, branch.Results, targets.Contains, ReadSlots(statements), j => adjoint(branch.Results[j]));
            DeclareAdjoints(body, targets, adjoints, aliases);
            HandIncoming(body, outputs, branch.Results, aliases, adjoint, j => adjoint(branch.Results[j]));
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
    private Dictionary<int, string> IncomingAliases(IReadOnlyList<TValue> outputs, IReadOnlyList<TValue> results, System.Func<TValue, bool> computedHere,
        HashSet<int> read, System.Func<int, string> incoming)
    {
        var aliases = new Dictionary<int, string>();
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
    private void HandIncoming(CodeBlock body, IReadOnlyList<TValue> outputs, IReadOnlyList<TValue> results, Dictionary<int, string> aliases,
        System.Func<TValue, string> adjoint, System.Func<int, string> incoming)
    {
        for (int j = 0; j < outputs.Count; j++)
        {
            if (results[j].Active && outputs[j].Active && !aliases.ContainsKey(outputs[j].Slot))
            {
                body.Line(AddAdjoint(outputs[j], adjoint(outputs[j]), incoming(j)));
            }
        }
    }

    private void EmitStatementBackward(CodeBlock body, TStmt statement, System.Func<TValue, string> adjoint)
    {
        switch (statement)
        {
            case TOpStmt op:
                body.Line($"{op.Vjp}({Join(Args(op.Args), Read(op.Target), adjoint(op.Target), PerTensorArgument(op, adjoint))});");
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
    }
}
