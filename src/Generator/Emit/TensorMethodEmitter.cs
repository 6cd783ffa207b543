using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Writes the reverse mode of a model method: a <c>{Name}Tape</c> class holding its intermediates (reused across
/// calls, so a training step allocates nothing once shapes repeat), <c>{Name}Record</c> (the forward pass onto the
/// tape), <c>{Name}Backward</c> (the chain rule in reverse over the tape, accumulating into a gradient) and, for
/// float results, <c>{Name}Gradient</c> (value and gradient of a batch in one call). Forward mode:
/// <c>{Name}Tangent</c> (tangents pushed forward over a recorded tape, kept on it) and <c>{Name}Jvp</c> (record, then
/// tangents). Second order: <c>{Name}BackwardTangent</c> and, for float results, <c>{Name}Hvp</c>.
/// </summary>
internal sealed partial class TensorMethodEmitter
{
    private const string Tensor = TypeRefs.Tensor;

    private TensorMethodEmitter()
    {
    }

    /// <summary>The derivative members of one model method (an emitter per method: the frame stack is its own state).</summary>
    public static string Emit(TensorMethod method) => new TensorMethodEmitter().EmitMethod(method);

    private string EmitMethod(TensorMethod method)
    {
        var body = new CodeBlock();
        string ret = method.ReturnKind == TKind.Tensor ? Tensor : "float";
        string gradientType = method.ModelType + ".Gradient";
        string tapeType = method.TapeType;
        string parameters = string.Join(", ", method.Parameters.Select(p => p.TypeText + " " + p.Name));
        string arguments = string.Join(", ", method.Parameters.Select(p => p.Name));
        string adjointParameters = TensorParameters(method, p => "d" + p.Name);
        bool inputs = method.Parameters.Any(p => p.Differentiable);

        EmitTape(method, body, tapeType);
        body.Line(string.Empty);
        if (method.ReturnKind == TKind.Float)
        {
            string field = "__" + method.TapeType;
            body.Line($"private {tapeType}? {field};");
            body.Line(string.Empty);
            body.Line($"/// <summary>");
            body.Line($"/// Value of <see cref=\"{method.Name}\"/> for a batch, and its gradient with respect to every trainable tensor of the model,");
            body.Line($"/// written into <paramref name=\"gradient\"/> (overwritten). Reuses one tape: nothing is allocated once shapes repeat.");
            body.Line($"/// </summary>");
            body.Line(GeneratedFile.GeneratedCode);
            using (body.Block($"{method.Accessibility} float {method.Name}Gradient({Join(parameters, gradientType + " gradient")})"))
            {
                MemberBody(method, body, null, () =>
                {
                    body.Line($"{tapeType} tape = {field} ??= new {tapeType}();");
                    body.Line("gradient.ClearDeferred();");
                    body.Line($"float value = {method.Name}Record({Join("tape", arguments)});");
                    body.Line($"{method.Name}Backward({Join("tape", arguments, "1f", "gradient", string.Join(", ", method.Parameters.Where(p => p.Differentiable).Select(_ => "null")))});");
                    body.Line("return value;");
                });
            }

            body.Line(string.Empty);
        }

        body.Line($"/// <summary>The forward pass of <see cref=\"{method.Name}\"/>, keeping on <paramref name=\"tape\"/> what the backward pass needs.");
        body.Line($"/// A tensor result belongs to the tape: it is overwritten by the next call.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"{method.Accessibility} {ret} {method.Name}Record({Join(tapeType + " tape", parameters)})"))
        {
            MemberBody(method, body, null, () => EmitForward(method, body));
        }

        body.Line(string.Empty);
        body.Line($"/// <summary>The backward pass of <see cref=\"{method.Name}\"/> after <see cref=\"{method.Name}Record\"/> on the same tape and arguments:");
        body.Line($"/// adds <paramref name=\"dResult\"/> times the derivatives to <paramref name=\"gradient\"/>{(inputs ? " and to the non-null input adjoints" : string.Empty)}.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"{method.Accessibility} void {method.Name}Backward({Join(tapeType + " tape", parameters, ret + " dResult", gradientType + " gradient", adjointParameters)})"))
        {
            MemberBody(method, body, null, () => EmitBackward(method, body));
        }

        body.Line(string.Empty);
        EmitForwardMode(method, body, ret, parameters, arguments, gradientType, tapeType);
        EmitSecondOrder(method, body, ret, parameters, arguments, gradientType, tapeType);

        string title = "Reverse and forward mode of " + method.ModelType.Replace("global::", string.Empty) + "." + method.Name;
        return GeneratedFile.Write(GeneratedFile.Preamble(title, method.Usings), method.Namespace, method.Types, body);
    }

    private void EmitTape(TensorMethod method, CodeBlock body, string tapeType)
    {
        body.Line($"/// <summary>Intermediate values of <see cref=\"{method.Name}\"/> kept for its backward pass; reused by every call.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"public sealed class {tapeType}"))
        {
            DeclareStatements(body, method.Body);
            foreach (TLoopStmt loop in Loops(method.Body))
            {
                body.Line(string.Empty);
                body.Line($"/// <summary>One iteration of <c>{Xml(loop.Comment)}</c>.</summary>");
                using (body.Block($"public sealed class Frame{S(loop.Frame)}"))
                {
                    foreach (TValue input in loop.Inputs)
                    {
                        DeclareTarget(body, input);
                    }

                    DeclareStatements(body, loop.Body);
                }
            }
        }
    }

    /// <summary>Every loop of the statements, nested ones and those inside ifs included (their frame classes sit side by side on the tape).</summary>
    private IEnumerable<TLoopStmt> Loops(IEnumerable<TStmt> statements) => AllStatements(statements).OfType<TLoopStmt>();

    /// <summary>The statements and, after each loop or if, the statements of its body or branches, all the way down.</summary>
    private IEnumerable<TStmt> AllStatements(IEnumerable<TStmt> statements)
        => statements.SelectMany(s => new[] { s }.Concat(s switch
        {
            TLoopStmt loop => AllStatements(loop.Body),
            TIfStmt branch => AllStatements(branch.Then).Concat(AllStatements(branch.Else)),
            _ => Enumerable.Empty<TStmt>(),
        }));

    private void DeclareStatements(CodeBlock body, IEnumerable<TStmt> statements)
    {
        foreach (TStmt statement in statements)
        {
            switch (statement)
            {
                case TOpStmt { Target: var target }:
                    DeclareTarget(body, target);
                    break;
                case TScalarStmt { Target: var target }:
                    DeclareTarget(body, target);
                    break;
                case TCallStmt call:
                    DeclareTarget(body, call.Target);
                    body.Line($"internal {call.ModelType}.{call.TapeType}? c{call.TapeSlot};");
                    break;
                case TPassiveStmt passive:
                    body.Line($"internal {passive.TypeText} a{S(passive.Slot)} = default!;");
                    break;
                case TIfStmt branch:
                    body.Line($"internal bool b{S(branch.ConditionSlot)};");
                    DeclareStatements(body, branch.Then);
                    DeclareStatements(body, branch.Else);
                    foreach (TValue result in branch.Results)
                    {
                        DeclareTarget(body, result);
                    }

                    break;
                case TLoopStmt loop:
                    body.Line($"internal Frame{S(loop.Frame)}?[]? f{S(loop.Frame)};");
                    body.Line($"internal int n{S(loop.Frame)};");
                    foreach (TValue result in loop.Results)
                    {
                        DeclareTarget(body, result);
                    }

                    break;
            }
        }
    }

    private string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private void DeclareTarget(CodeBlock body, TValue target)
    {
        // t: the value, d: its adjoint, j: its tangent, e: its adjoint's tangent (s and js for floats).
        if (target.Kind == TKind.Tensor)
        {
            body.Line($"internal {Tensor}? t{S(target.Slot)};");
            if (target.Active)
            {
                body.Line($"internal {Tensor}? d{S(target.Slot)};");
                body.Line($"internal {Tensor}? j{S(target.Slot)};");
                body.Line($"internal {Tensor}? e{S(target.Slot)};");
            }
        }
        else
        {
            body.Line($"internal float s{S(target.Slot)};");
            if (target.Active)
            {
                body.Line($"internal float js{S(target.Slot)};");
            }
        }
    }

    private void EmitForward(TensorMethod method, CodeBlock body)
    {
        EmitForwardStatements(method, body, method.Body);
        Comment(body, "return");
        body.Line($"return {Read(method.Result!)};");
    }

    private void EmitForwardStatements(TensorMethod method, CodeBlock body, IEnumerable<TStmt> statements)
    {
        foreach (TStmt statement in statements)
        {
            Comment(body, statement.Comment);
            switch (statement)
            {
                case TOpStmt op when op.Target.Kind == TKind.Tensor && op.Into is not null:
                    body.Line($"{Slot(op.Target)} = {op.Into}({Join(Args(op.Args), Slot(op.Target))});");
                    break;
                case TOpStmt op:
                    body.Line($"{Slot(op.Target)} = {op.Primal}({Args(op.Args)});");
                    break;
                case TCallStmt call:
                    body.Line($"{Slot(call.Target)} = {Receiver(call)}.{call.Method}Record({Join($"{TapeSlot(call.TapeSlot)} ??= new {call.ModelType}.{call.TapeType}()", Args(call.Args))});");
                    break;
                case TScalarStmt scalar:
                    body.Line($"{Slot(scalar.Target)} = {ScalarText(scalar)};");
                    break;
                case TPassiveStmt passive:
                    body.Line($"{Prefix(passive.Slot)}a{S(passive.Slot)} = {ResolveStored(passive.Code)};");
                    break;
                case TLoopStmt loop:
                    EmitLoopForward(method, body, loop);
                    break;
                case TIfStmt branch:
                    EmitIfForward(method, body, branch);
                    break;
                case TExitStmt exit:
                    // the frame that fails the test is not counted
                    body.Line($"if (!({ConditionText(exit.Left, exit.Op, exit.Right)})) break;");
                    break;
            }
        }
    }

    /// <summary>The if, forward: the condition is kept on the tape; each branch ends by setting the merged values.</summary>
    private void EmitIfForward(TensorMethod method, CodeBlock body, TIfStmt branch)
    {
        string condition = $"{Prefix(branch.ConditionSlot)}b{S(branch.ConditionSlot)}";
        body.Line($"{condition} = {ConditionText(branch.Condition, branch.ConditionOp, branch.ConditionRight)};");
        using (body.Block($"if ({condition})"))
        {
            EmitForwardStatements(method, body, branch.Then);
            for (int j = 0; j < branch.Results.Count; j++)
            {
                body.Line($"{Slot(branch.Results[j])} = {Read(branch.ThenOutputs[j])};");
            }
        }

        using (body.Block("else"))
        {
            EmitForwardStatements(method, body, branch.Else);
            for (int j = 0; j < branch.Results.Count; j++)
            {
                body.Line($"{Slot(branch.Results[j])} = {Read(branch.ElseOutputs[j])};");
            }
        }
    }

    /// <summary>
    /// A loop, forward: one tape frame per iteration (per layer, count or pass of a while loop), carried values passed
    /// from frame to frame. A while loop grows its frames as it goes and keeps the number that passed its test.
    /// </summary>
    private void EmitLoopForward(TensorMethod method, CodeBlock body, TLoopStmt loop)
    {
        string k = S(loop.Frame), n = "__n" + k, owner = Owner(), frames = owner + "f" + k, frame = "__f" + k;
        if (loop.IsWhile)
        {
            body.Line($"int {loop.Index} = 0;");
        }
        else
        {
            // A counted loop with a negative bound runs no step, as the C# loop does.
            string count = loop.Start == 0 ? Read(loop.Count) : $"{Read(loop.Count)} - {S(loop.Start)}";
            body.Line(loop.List.Length > 0 ? $"int {n} = {owner}n{k} = {count};" : $"int {n} = {owner}n{k} = global::System.Math.Max(0, {count});");
            body.Line($"if ({frames} is null || {frames}.Length < {n}) global::System.Array.Resize(ref {frames}, {n});");
        }

        for (int j = 0; j < loop.Inputs.Count; j++)
        {
            body.Line($"{TypeOf(loop.Inputs[j])} __c{k}_{S(j)} = {Read(loop.Initial[j])};");
        }

        using (body.Block(loop.IsWhile ? $"for (; ; {loop.Index}++)" : $"for (int {loop.Index} = 0; {loop.Index} < {n}; {loop.Index}++)"))
        {
            if (loop.IsWhile)
            {
                body.Line($"if ({frames} is null || {frames}.Length <= {loop.Index}) global::System.Array.Resize(ref {frames}, global::System.Math.Max(4, 2 * {loop.Index}));");
            }

            body.Line($"{method.TapeType}.Frame{k} {frame} = {frames}[{loop.Index}] ??= new {method.TapeType}.Frame{k}();");
            using (EnterFrame(loop))
            {
                for (int j = 0; j < loop.Inputs.Count; j++)
                {
                    body.Line($"{Slot(loop.Inputs[j])} = __c{k}_{S(j)};");
                }

                EmitForwardStatements(method, body, loop.Body);
                for (int j = 0; j < loop.Outputs.Count; j++)
                {
                    body.Line($"__c{k}_{S(j)} = {Read(loop.Outputs[j])};");
                }
            }
        }

        if (loop.IsWhile)
        {
            body.Line($"{owner}n{k} = {loop.Index};");
        }

        for (int j = 0; j < loop.Results.Count; j++)
        {
            body.Line($"{Slot(loop.Results[j])} = __c{k}_{S(j)};");
        }
    }

    private IEnumerable<TValue> TargetsOf(TStmt statement) => statement switch
    {
        TOpStmt op => new[] { op.Target },
        TCallStmt call => new[] { call.Target },
        TScalarStmt scalar => new[] { scalar.Target },
        TLoopStmt loop => loop.Results,
        TIfStmt branch => branch.Results,
        _ => Enumerable.Empty<TValue>(),
    };

    private IEnumerable<TValue> ArgsOf(TStmt statement) => statement switch
    {
        TOpStmt op => op.Args,
        TCallStmt call => call.Args,
        TScalarStmt { Right: { } right } scalar => new[] { scalar.Left, right },
        TScalarStmt scalar => new[] { scalar.Left },
        TExitStmt { Right: { } right } exit => new[] { exit.Left, right },
        TExitStmt exit => new[] { exit.Left },
        _ => Enumerable.Empty<TValue>(),
    };

    /// <summary>Every value read by the statements, loop bodies, initial values and carried outputs included.</summary>
    private IEnumerable<TValue> AllArgs(IEnumerable<TStmt> statements)
        => statements.SelectMany(s => s switch
        {
            TLoopStmt loop => loop.Initial.Concat(loop.Outputs).Concat(AllArgs(loop.Body)),
            TIfStmt branch => new[] { branch.Condition }.Concat(branch.ConditionRight is { } right ? new[] { right } : Enumerable.Empty<TValue>())
                .Concat(branch.ThenOutputs).Concat(branch.ElseOutputs).Concat(AllArgs(branch.Then)).Concat(AllArgs(branch.Else)),
            _ => ArgsOf(s),
        });

    /// <summary>The tape slots the statements read (an adjoint may alias an incoming one only if its value is not among them).</summary>
    private HashSet<int> ReadSlots(IEnumerable<TStmt> statements)
        => new(AllArgs(statements).Where(a => a.Source == TSource.Temp).Select(a => a.Slot));

    /// <summary>Adds a carried adjoint variable (<c>__d…</c>, null for a tensor nobody needed) into a value's adjoint.</summary>
    private string AddAdjoint(TValue value, string into, string from)
        => value.Kind == TKind.Tensor
            ? $"if ({from} is not null) global::Autodiff.TensorDerivatives.Accumulate({into}, {from});"
            : $"{into} += {from};";

    /// <summary>A condition of an if or a while: a passive bool, or a comparison of two float values.</summary>
    private string ConditionText(TValue left, Ir.BinaryOp? op, TValue? right) => right is null || op is null ? Read(left) : $"{Read(left)} {ExprPrinter.BinaryText(op.Value)} {Read(right)}";

    private string ScalarText(TScalarStmt s) => s.Right is null ? "-" + Read(s.Left) : $"{Read(s.Left)} {s.Op.Text()} {Read(s.Right)}";

    private string Receiver(TCallStmt call) => call.Receiver.Length == 0 ? "this" : "this." + call.Receiver;

    private string Args(IEnumerable<TValue> args) => string.Join(", ", args.Select(Read));

    /// <summary>The value as read in generated code.</summary>
    private string Read(TValue value) => value.Source switch
    {
        TSource.Field => "this." + value.Code,
        TSource.Stored => $"{Prefix(value.Slot)}a{S(value.Slot)}",
        TSource.Temp => value.Kind == TKind.Tensor ? $"{Prefix(value.Slot)}t{S(value.Slot)}!" : $"{Prefix(value.Slot)}s{S(value.Slot)}",
        _ => value.Code,
    };

    /// <summary>Passive code with its references to stored values and computed tensors printed where they live.</summary>
    private string ResolveStored(EquatableArray<TCodePart> code)
        => string.Concat(code.Select(part => part.Kind switch
        {
            TCodeKind.Stored => Prefix(part.Slot) + "a" + S(part.Slot),
            TCodeKind.Tensor => Prefix(part.Slot) + "t" + S(part.Slot) + "!",
            _ => part.Text,
        }));

    private string Slot(TValue target) => target.Kind == TKind.Tensor ? $"{Prefix(target.Slot)}t{S(target.Slot)}" : $"{Prefix(target.Slot)}s{S(target.Slot)}";

    private string TypeOf(TValue value) => value.Kind == TKind.Tensor ? Tensor : "float";

    // Inside a loop, the body's values live on the current frame (__f{k}) instead of the tape, and an inner loop's on
    // its own frame: the innermost frame that lists a slot holds it. The stack of the frames entered belongs to this
    // emitter (one per method), so emissions on several threads never share it.
    private List<TLoopStmt>? _frames;

    // The tape class of the method being emitted, for the frame types its loops declare (no 'var' in generated code: a
    // user type named var would bind to it).
    private string? _tapeType;

    private string Prefix(int slot) => Holder(slot, f => f.FrameSlots);

    private string TapeSlot(int tape) => Holder(tape, f => f.FrameTapes) + "c" + S(tape);

    private string Holder(int slot, System.Func<TLoopStmt, EquatableArray<int>> slots)
    {
        if (_frames is { } frames)
        {
            for (int i = frames.Count - 1; i >= 0; i--)
            {
                if (slots(frames[i]).Contains(slot))
                {
                    return "__f" + S(frames[i].Frame) + ".";
                }
            }
        }

        return "tape.";
    }

    /// <summary>Where the statements being emitted live: the innermost frame entered, or the tape (an inner loop's frames hang there).</summary>
    private string Owner() => _frames is { Count: > 0 } frames ? "__f" + S(frames[frames.Count - 1].Frame) + "." : "tape.";

    private FrameScope EnterFrame(TLoopStmt loop)
    {
        (_frames ??= new List<TLoopStmt>()).Add(loop);
        return new FrameScope(_frames);
    }

    private readonly struct FrameScope : System.IDisposable
    {
        private readonly List<TLoopStmt> _frames;

        public FrameScope(List<TLoopStmt> frames) => _frames = frames;

        public void Dispose() => _frames.RemoveAt(_frames.Count - 1);
    }

    private void Comment(CodeBlock body, string comment)
    {
        if (comment.Length > 0)
        {
            body.Line("// " + comment);
        }
    }

    private string Stub(TensorMethod method) => TypeRefs.StubThrow(method.Name);

    /// <summary>
    /// A generated member's body: the stub's throw when the method could not be parsed, the throw of
    /// <paramref name="missing"/> (see <see cref="MissingRule"/>) when one of its ops lacks a rule the member needs, else
    /// what <paramref name="write"/> writes.
    /// </summary>
    private void MemberBody(TensorMethod method, CodeBlock body, string? missing, System.Action write)
    {
        if (method.IsStub)
        {
            body.Line(Stub(method));
        }
        else if (missing is not null)
        {
            body.Line($"throw new global::System.NotSupportedException({missing});");
        }
        else
        {
            write();
        }
    }

    /// <summary>
    /// The message, as a C# string literal, naming the first active op that <paramref name="lacks"/> a rule (given the
    /// op's name, <paramref name="message"/> says which and how to register it); null when none does. Members that need
    /// the rule throw it, and public ones are <c>[Obsolete]</c> errors with it (<see cref="ObsoleteWhen"/>).
    /// </summary>
    private string? MissingRule(TensorMethod method, System.Func<TOpStmt, bool> lacks, System.Func<string, string> message)
    {
        TOpStmt? missing = method.IsStub ? null : AllStatements(method.Body).OfType<TOpStmt>().FirstOrDefault(op => op.Target.Active && lacks(op));
        return missing is null ? null : "\"" + message(missing.Primal.Replace("global::", string.Empty)) + "\"";
    }

    /// <summary>Marks the public member that follows a compile error with <paramref name="missing"/>'s message, when there is one.</summary>
    private void ObsoleteWhen(CodeBlock body, string? missing)
    {
        if (missing is not null)
        {
            body.Line($"[global::System.Obsolete({missing}, true)]");
        }
    }

    /// <summary>A <c>Tensor?</c> parameter per differentiable tensor parameter, named by <paramref name="name"/>.</summary>
    private static string TensorParameters(TensorMethod method, System.Func<TParam, string> name)
        => string.Join(", ", method.Parameters.Where(p => p.Differentiable).Select(p => $"{Tensor}? {name(p)}"));

    private string Join(params string[] parts) => string.Join(", ", parts.Where(p => p.Length > 0));

    private string S(int slot) => slot.ToString(CultureInfo.InvariantCulture);
}
