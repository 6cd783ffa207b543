using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Autodiff.Generator.Model.Tensors;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Writes the reverse mode of a model method: a <c>{Name}Tape</c> class holding its intermediates (reused across
/// calls, so a training step allocates nothing once shapes repeat), <c>{Name}Record</c> (the forward pass onto the
/// tape), <c>{Name}Backward</c> (the chain rule in reverse over the tape, accumulating into a gradient) and, for
/// float results, <c>{Name}Gradient</c> (value and gradient of a batch in one call).
/// </summary>
internal static class TensorMethodEmitter
{
    private const string Tensor = "global::Autodiff.Tensor";

    public static string Emit(TensorMethod method)
    {
        var body = new CodeBlock();
        string ret = method.ReturnKind == TKind.Tensor ? Tensor : "float";
        string gradientType = method.ModelType + ".Gradient";
        string tapeType = method.Name + "Tape";
        string parameters = string.Join(", ", method.Parameters.Select(p => p.TypeText + " " + p.Name));
        string arguments = string.Join(", ", method.Parameters.Select(p => p.Name));
        var adjointParameters = method.Parameters.Where(p => p.Differentiable).Select(p => $"{Tensor}? d{p.Name}").ToList();

        EmitTape(method, body, tapeType);
        body.Line(string.Empty);
        if (method.ReturnKind == TKind.Float)
        {
            string field = "__" + method.Name + "Tape";
            body.Line($"private {tapeType}? {field};");
            body.Line(string.Empty);
            body.Line($"/// <summary>");
            body.Line($"/// Value of <see cref=\"{method.Name}\"/> for a batch, and its gradient with respect to every trainable tensor of the model,");
            body.Line($"/// written into <paramref name=\"gradient\"/> (overwritten). Reuses one tape: nothing is allocated once shapes repeat.");
            body.Line($"/// </summary>");
            body.Line(GeneratedFile.GeneratedCode);
            using (body.Block($"{method.Accessibility} float {method.Name}Gradient({Join(parameters, gradientType + " gradient")})"))
            {
                if (method.IsStub)
                {
                    body.Line(Stub(method));
                }
                else
                {
                    body.Line($"{tapeType} tape = {field} ??= new {tapeType}();");
                    body.Line("gradient.ClearDeferred();");
                    body.Line($"float value = {method.Name}Record({Join("tape", arguments)});");
                    body.Line($"{method.Name}Backward({Join("tape", arguments, "1f", "gradient", string.Join(", ", adjointParameters.Select(_ => "null")))});");
                    body.Line("return value;");
                }
            }

            body.Line(string.Empty);
        }

        body.Line($"/// <summary>The forward pass of <see cref=\"{method.Name}\"/>, keeping on <paramref name=\"tape\"/> what the backward pass needs.");
        body.Line($"/// A tensor result belongs to the tape: it is overwritten by the next call.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"{method.Accessibility} {ret} {method.Name}Record({Join(tapeType + " tape", parameters)})"))
        {
            if (method.IsStub)
            {
                body.Line(Stub(method));
            }
            else
            {
                EmitForward(method, body);
            }
        }

        body.Line(string.Empty);
        body.Line($"/// <summary>The backward pass of <see cref=\"{method.Name}\"/> after <see cref=\"{method.Name}Record\"/> on the same tape and arguments:");
        body.Line($"/// adds <paramref name=\"dResult\"/> times the derivatives to <paramref name=\"gradient\"/>{(adjointParameters.Count > 0 ? " and to the non-null input adjoints" : string.Empty)}.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"{method.Accessibility} void {method.Name}Backward({Join(tapeType + " tape", parameters, ret + " dResult", gradientType + " gradient", string.Join(", ", adjointParameters))})"))
        {
            if (method.IsStub)
            {
                body.Line(Stub(method));
            }
            else
            {
                EmitBackward(method, body);
            }
        }

        string title = "Reverse mode of " + method.ModelType.Replace("global::", string.Empty) + "." + method.Name;
        return GeneratedFile.Write(GeneratedFile.ModelPreamble(title, method.Usings), method.Namespace, method.Types, body);
    }

    private static void EmitTape(TensorMethod method, CodeBlock body, string tapeType)
    {
        body.Line($"/// <summary>Intermediate values of <see cref=\"{method.Name}\"/> kept for its backward pass; reused by every call.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"public sealed class {tapeType}"))
        {
            foreach (TStmt statement in method.Body)
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
                        body.Line($"internal {call.ModelType}.{call.Method}Tape? c{call.TapeSlot};");
                        break;
                    case TPassiveStmt passive:
                        body.Line($"internal {passive.TypeText} a{S(passive.Slot)} = default!;");
                        break;
                }
            }
        }
    }

    private static void DeclareTarget(CodeBlock body, TValue target)
    {
        if (target.Kind == TKind.Tensor)
        {
            body.Line($"internal {Tensor}? t{S(target.Slot)};");
            if (target.Active)
            {
                body.Line($"internal {Tensor}? d{S(target.Slot)};");
            }
        }
        else
        {
            body.Line($"internal float s{S(target.Slot)};");
        }
    }

    private static void EmitForward(TensorMethod method, CodeBlock body)
    {
        foreach (TStmt statement in method.Body)
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
                    body.Line($"{Slot(call.Target)} = {Receiver(call)}.{call.Method}Record({Join($"tape.c{call.TapeSlot} ??= new {call.ModelType}.{call.Method}Tape()", Args(call.Args))});");
                    break;
                case TScalarStmt scalar:
                    body.Line($"{Slot(scalar.Target)} = {ScalarText(scalar)};");
                    break;
                case TPassiveStmt passive:
                    body.Line($"tape.a{S(passive.Slot)} = {passive.Code};");
                    break;
            }
        }

        Comment(body, "return");
        body.Line($"return {Read(method.Result!)};");
    }

    private static void EmitBackward(TensorMethod method, CodeBlock body)
    {
        TValue result = method.Result!;
        var used = new HashSet<int>(method.Body.SelectMany(ArgsOf).Where(a => a.Source == TSource.Temp).Select(a => a.Slot));

        // The result's adjoint is dResult itself when nothing else reads the result (no copy).
        bool alias = result is { Source: TSource.Temp, Kind: TKind.Tensor, Active: true } && !used.Contains(result.Slot);
        var adjoint = new Dictionary<int, string>();
        Comment(body, "adjoints of the intermediates start at zero (deferred: the first kernel to write one overwrites it)");
        foreach (TValue target in method.Body.Select(TargetOf).Where(t => t is { Active: true }).Select(t => t!))
        {
            if (target.Kind == TKind.Float)
            {
                adjoint[target.Slot] = "ds" + S(target.Slot);
                body.Line($"float ds{S(target.Slot)} = 0f;");
            }
            else if (alias && target.Slot == result.Slot)
            {
                adjoint[target.Slot] = "dResult";
            }
            else
            {
                adjoint[target.Slot] = $"tape.d{S(target.Slot)}!";
                body.Line($"tape.d{S(target.Slot)} = {Tensor}.ReuseLike(tape.d{S(target.Slot)}, tape.t{S(target.Slot)}!);");
                body.Line($"tape.d{S(target.Slot)}.ClearDeferred();");
            }
        }

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

        // Reverse sweep: primal statements last to first, each one's pieces in reverse.
        var groups = new List<List<TStmt>>();
        foreach (TStmt statement in method.Body)
        {
            if (statement.Comment.Length > 0 || groups.Count == 0)
            {
                groups.Add(new List<TStmt>());
            }

            groups[groups.Count - 1].Add(statement);
        }

        for (int g = groups.Count - 1; g >= 0; g--)
        {
            var active = groups[g].Where(st => TargetOf(st) is { Active: true }).ToList();
            if (active.Count == 0)
            {
                continue;
            }

            Comment(body, groups[g][0].Comment.Length > 0 ? "∂ " + groups[g][0].Comment : string.Empty);
            for (int i = active.Count - 1; i >= 0; i--)
            {
                EmitStatementBackward(body, active[i], Adjoint);
            }
        }
    }

    private static void EmitStatementBackward(CodeBlock body, TStmt statement, System.Func<TValue, string> adjoint)
    {
        switch (statement)
        {
            case TOpStmt op:
            {
                var adjoints = op.Args.Where(a => a.Kind == TKind.Tensor).Select(adjoint);
                body.Line($"{op.Vjp}({Join(Args(op.Args), Read(op.Target), adjoint(op.Target), string.Join(", ", adjoints))});");
                break;
            }

            case TCallStmt call:
            {
                var adjoints = call.Args.Select((a, k) => (a, k)).Where(x => call.Differentiable[x.k]).Select(x => adjoint(x.a));
                string gradient = call.Receiver.Length == 0 ? "gradient" : "gradient." + call.Receiver;
                body.Line($"{Receiver(call)}.{call.Method}Backward({Join($"tape.c{call.TapeSlot}!", Args(call.Args), adjoint(call.Target), gradient, string.Join(", ", adjoints))});");
                break;
            }

            case TScalarStmt scalar:
                EmitScalarBackward(body, scalar, adjoint);
                break;
        }
    }

    private static void EmitScalarBackward(CodeBlock body, TScalarStmt s, System.Func<TValue, string> adjoint)
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
            case '+': Add(left, d); Add(right!, d); break;
            case '-': Add(left, d); Add(right!, "-" + d); break;
            case '*': Add(left, $"{d} * {Read(right!)}"); Add(right!, $"{d} * {Read(left)}"); break;
            case '/': Add(left, $"{d} / {Read(right!)}"); Add(right!, $"-{d} * {Read(s.Target)} / {Read(right!)}"); break;
            default: Add(left, "-" + d); break;
        }
    }

    private static TValue? TargetOf(TStmt statement) => statement switch
    {
        TOpStmt op => op.Target,
        TCallStmt call => call.Target,
        TScalarStmt scalar => scalar.Target,
        _ => null,
    };

    private static IEnumerable<TValue> ArgsOf(TStmt statement) => statement switch
    {
        TOpStmt op => op.Args,
        TCallStmt call => call.Args,
        TScalarStmt { Right: { } right } scalar => new[] { scalar.Left, right },
        TScalarStmt scalar => new[] { scalar.Left },
        _ => Enumerable.Empty<TValue>(),
    };

    private static string ScalarText(TScalarStmt s) => s.Right is null ? "-" + Read(s.Left) : $"{Read(s.Left)} {s.Op} {Read(s.Right)}";

    private static string Receiver(TCallStmt call) => call.Receiver.Length == 0 ? "this" : "this." + call.Receiver;

    private static string Args(IEnumerable<TValue> args) => string.Join(", ", args.Select(Read));

    /// <summary>The value as read in generated code.</summary>
    private static string Read(TValue value) => value.Source switch
    {
        TSource.Field => "this." + value.Code,
        TSource.Temp => value.Kind == TKind.Tensor ? $"tape.t{S(value.Slot)}!" : $"tape.s{S(value.Slot)}",
        _ => value.Code,
    };

    private static string Slot(TValue target) => target.Kind == TKind.Tensor ? $"tape.t{S(target.Slot)}" : $"tape.s{S(target.Slot)}";

    private static void Comment(CodeBlock body, string comment)
    {
        if (comment.Length > 0)
        {
            body.Line("// " + comment);
        }
    }

    private static string Stub(TensorMethod method)
        => $"throw new global::System.InvalidOperationException(\"Autodiff could not differentiate '{method.Name}'; see the AD diagnostics of the build.\");";

    private static string Join(params string[] parts) => string.Join(", ", parts.Where(p => p.Length > 0));

    private static string S(int slot) => slot.ToString(CultureInfo.InvariantCulture);
}
