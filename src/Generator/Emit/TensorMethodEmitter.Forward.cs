using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

// Forward mode of a model method: {Name}Tangent pushes tangents forward over a tape that {Name}Record filled (the
// primal values are read off the tape, so loops and branches replay what ran), {Name}Jvp records on a new tape and
// then pushes. A tangent of the model's parameters is a Gradient-shaped object (JAX's tangent pytree, Swift's
// TangentVector); tensor arguments take an optional tangent each. A null tensor tangent is zero.
internal sealed partial class TensorMethodEmitter
{
    private void EmitForwardMode(TensorMethod method, CodeBlock body, string ret, string parameters, string arguments, string gradientType, string tapeType)
    {
        var differentiable = method.Parameters.Where(p => p.Differentiable).ToList();
        Dictionary<string, string> tangentNames = TangentNames(method).Values;

        string tangentParameters = TensorParameters(method, p => tangentNames[p.Name]);
        string tangentArguments = string.Join(", ", differentiable.Select(p => tangentNames[p.Name]));
        string? missing = MissingRule(method, op => op.Jvp is null,
            op => $"Forward mode of '{method.Name}' needs a JVP for '{op}': register one with Jvp = ... on its [RegisterDerivative] or [CustomDerivative].");

        body.Line($"/// <summary>Forward mode of <see cref=\"{method.Name}\"/> after <see cref=\"{method.Name}Record\"/> on the same tape and arguments: the");
        body.Line($"/// derivative of the result along <paramref name=\"tangent\"/> (a direction in parameter space){(differentiable.Count > 0 ? " and the tensor arguments' tangents (null: zero)" : string.Empty)}.");
        body.Line($"/// {(method.ReturnKind == TKind.Tensor ? "Null when the result depends on no tangent (zero). A tensor tangent belongs to the tape: the next call overwrites it." : "A float.")}</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"{method.Accessibility} {TangentType(method)} {method.Name}Tangent({Join(tapeType + " tape", parameters, gradientType + " tangent", tangentParameters)})"))
        {
            MemberBody(method, body, missing, () => EmitTangent(method, body, tangentNames));
        }

        body.Line(string.Empty);
        body.Line($"/// <summary>");
        body.Line($"/// Value of <see cref=\"{method.Name}\"/> and its directional derivative (forward mode, JAX's <c>jvp</c>) along <paramref name=\"tangent\"/>:");
        body.Line($"/// one tensor per trainable parameter, shaped like the model's gradient (<c>CreateGradient()</c>){(differentiable.Count > 0 ? ", and along the tensor arguments' tangents (null: zero)" : string.Empty)}.");
        body.Line($"/// Records on a new tape, so the value is the caller's; allocates (use <c>{method.Name}{(method.ReturnKind == TKind.Float ? "Gradient" : "Record")}</c> in training loops).");
        body.Line($"/// </summary>");
        ObsoleteWhen(body, missing);
        body.Line(GeneratedFile.GeneratedCode);
        string optional = string.Join(", ", differentiable.Select(p => $"{Tensor}? {tangentNames[p.Name]} = null"));
        using (body.Block($"{method.Accessibility} ({ret} Value, {ret} Tangent) {method.Name}Jvp({Join(parameters, gradientType + " tangent", optional)})"))
        {
            MemberBody(method, body, missing, () =>
            {
                body.Line($"{tapeType} tape = new {tapeType}();");
                body.Line($"{ret} value = {method.Name}Record({Join("tape", arguments)});");
                string tangent = $"{method.Name}Tangent({Join("tape", arguments, "tangent", tangentArguments)})";
                body.Line(method.ReturnKind == TKind.Tensor
                    ? $"return (value, global::Autodiff.TensorDerivatives.TangentOrZeros({tangent}, value));"
                    : $"return (value, {tangent});");
            });
        }
    }

    /// <summary>The type of a result's tangent: a tensor that may be null (zero), or a float.</summary>
    private static string TangentType(TensorMethod method) => method.ReturnKind == TKind.Tensor ? Tensor + "?" : "float";

    /// <summary>
    /// Per differentiable tensor parameter x, the names of its tangent (<c>tx</c>) and of its adjoint's tangent
    /// (<c>tdx</c>) in generated forward-mode and second-order methods, made unique against the method's parameters and
    /// the generated ones.
    /// </summary>
    private static (Dictionary<string, string> Values, Dictionary<string, string> Adjoints) TangentNames(TensorMethod method)
    {
        var names = new HashSet<string>(method.Parameters.Select(p => p.Name)) { "tangent", "tape", "gradient", "hv", "dResult", "tdResult" };
        foreach (TParam parameter in method.Parameters.Where(p => p.Differentiable))
        {
            names.Add("d" + parameter.Name);
        }

        string Unique(string name)
        {
            while (!names.Add(name))
            {
                name = "_" + name;
            }

            return name;
        }

        var values = new Dictionary<string, string>();
        var adjoints = new Dictionary<string, string>();
        foreach (TParam parameter in method.Parameters.Where(p => p.Differentiable))
        {
            values[parameter.Name] = Unique("t" + parameter.Name);
        }

        foreach (TParam parameter in method.Parameters.Where(p => p.Differentiable))
        {
            adjoints[parameter.Name] = Unique("td" + parameter.Name);
        }

        return (values, adjoints);
    }

    /// <summary>The tangent of a value in a forward-mode or second-order pass: the parameter's tangent, the tangent's part, or the tape's slot.</summary>
    private string ValueTangent(TValue value, Dictionary<string, string> tangentNames) => !value.Active ? Zero(value) : value.Source switch
    {
        TSource.Parameter when tangentNames.TryGetValue(value.Code, out string? name) => name,
        TSource.Field => "tangent." + value.Code,
        TSource.Temp => value.Kind == TKind.Tensor ? $"{Prefix(value.Slot)}j{S(value.Slot)}" : $"{Prefix(value.Slot)}js{S(value.Slot)}",
        _ => Zero(value),
    };

    /// <summary>Every value the statements compute, loop inputs and the bodies of loops and branches included.</summary>
    private IEnumerable<TValue> AllTargets(IEnumerable<TStmt> statements)
        => statements.SelectMany(s => s switch
        {
            TLoopStmt loop => loop.Inputs.Concat(AllTargets(loop.Body)).Concat(loop.Results),
            TIfStmt branch => AllTargets(branch.Then).Concat(AllTargets(branch.Else)).Concat(branch.Results),
            _ => TargetsOf(s),
        });

    private void EmitTangent(TensorMethod method, CodeBlock body, Dictionary<string, string> tangentNames)
    {
        _tapeType = method.TapeType;
        string Tangent(TValue value) => ValueTangent(value, tangentNames);

        // The tangents stay on the tape beside the values (j{slot}; a null tensor tangent is zero), where a
        // second-order backward pass reads them.
        EmitTangentStatements(body, method.Body, Tangent);
        Comment(body, "return");
        body.Line($"return {Tangent(method.Result!)};");
    }

    private string Zero(TValue value) => value.Kind == TKind.Tensor ? "null" : "0f";

    private void EmitTangentStatements(CodeBlock body, IEnumerable<TStmt> statements, System.Func<TValue, string> tangent)
    {
        foreach (TStmt statement in statements)
        {
            if (!AllTargets(new[] { statement }).Any(t => t.Active))
            {
                continue;
            }

            Comment(body, statement.Comment.Length > 0 ? "∂ " + statement.Comment : string.Empty);
            switch (statement)
            {
                case TOpStmt op:
                    // A JVP with a destination writes into the tangent this op made on the previous call (kept on the tape).
                    body.Line($"{tangent(op.Target)} = {op.Jvp}({Join(Args(op.Args), Read(op.Target), PerTensorArgument(op, tangent), op.JvpInto ? tangent(op.Target) : string.Empty)});");
                    break;
                case TCallStmt call:
                    body.Line($"{tangent(call.Target)} = {Receiver(call)}.{call.Method}Tangent({Join($"{TapeSlot(call.TapeSlot)}!", Args(call.Args), Part("tangent", call), PerDifferentiableArgument(call, tangent))});");
                    break;
                case TScalarStmt scalar:
                    body.Line($"{tangent(scalar.Target)} = {ScalarTangent(scalar, tangent)};");
                    break;
                case TIfStmt branch:
                    EmitIfTangent(body, branch, tangent);
                    break;
                case TLoopStmt loop:
                    EmitLoopTangent(body, loop, tangent);
                    break;
            }
        }
    }

    /// <summary>The tangent of float arithmetic: sum, difference, product and quotient rules; terms of inactive operands left out.</summary>
    private string ScalarTangent(TScalarStmt s, System.Func<TValue, string> tangent)
    {
        TValue left = s.Left;
        TValue? right = s.Right;
        var terms = new List<string>();
        void Term(TValue value, string text)
        {
            if (value.Active)
            {
                terms.Add(text);
            }
        }

        switch (s.Op)
        {
            case TScalarOp.Add: Term(left, tangent(left)); Term(right!, tangent(right!)); break;
            case TScalarOp.Subtract: Term(left, tangent(left)); Term(right!, "-" + tangent(right!)); break;
            case TScalarOp.Multiply: Term(left, $"{tangent(left)} * {Read(right!)}"); Term(right!, $"{Read(left)} * {tangent(right!)}"); break;
            case TScalarOp.Divide: Term(left, $"{tangent(left)} / {Read(right!)}"); Term(right!, $"-{Read(s.Target)} * {tangent(right!)} / {Read(right!)}"); break;
            default: Term(left, "-" + tangent(left)); break;
        }

        return terms.Count == 0 ? "0f" : string.Join(" + ", terms).Replace("+ -", "- ");
    }

    /// <summary>The if, forward mode: the branch that ran (read off the tape), then its outputs' tangents merged.</summary>
    private void EmitIfTangent(CodeBlock body, TIfStmt branch, System.Func<TValue, string> tangent)
    {
        void Side(IEnumerable<TStmt> statements, IReadOnlyList<TValue> outputs)
        {
            EmitTangentStatements(body, statements, tangent);
            for (int j = 0; j < branch.Results.Count; j++)
            {
                if (branch.Results[j].Active)
                {
                    body.Line($"{tangent(branch.Results[j])} = {tangent(outputs[j])};");
                }
            }
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

    /// <summary>A loop, forward mode: the recorded frames first to last, carried tangents passed from frame to frame.</summary>
    private void EmitLoopTangent(CodeBlock body, TLoopStmt loop, System.Func<TValue, string> tangent)
    {
        string k = S(loop.Frame), owner = Owner();
        for (int j = 0; j < loop.Inputs.Count; j++)
        {
            if (loop.Inputs[j].Active)
            {
                body.Line($"{(loop.Inputs[j].Kind == TKind.Tensor ? Tensor + "?" : "float")} __jc{k}_{S(j)} = {tangent(loop.Initial[j])};");
            }
        }

        using (body.Block($"for (int {loop.Index} = 0; {loop.Index} < {owner}n{k}; {loop.Index}++)"))
        {
            body.Line($"{_tapeType}.Frame{k} __f{k} = {owner}f{k}![{loop.Index}]!;");
            using (EnterFrame(loop))
            {
                for (int j = 0; j < loop.Inputs.Count; j++)
                {
                    if (loop.Inputs[j].Active)
                    {
                        body.Line($"{tangent(loop.Inputs[j])} = __jc{k}_{S(j)};");
                    }
                }

                EmitTangentStatements(body, loop.Body, tangent);
                for (int j = 0; j < loop.Inputs.Count; j++)
                {
                    if (loop.Inputs[j].Active)
                    {
                        body.Line($"__jc{k}_{S(j)} = {tangent(loop.Outputs[j])};");
                    }
                }
            }
        }

        for (int j = 0; j < loop.Results.Count; j++)
        {
            if (loop.Results[j].Active)
            {
                body.Line($"{tangent(loop.Results[j])} = {(loop.Inputs[j].Active ? $"__jc{k}_{S(j)}" : Zero(loop.Results[j]))};");
            }
        }
    }
}
