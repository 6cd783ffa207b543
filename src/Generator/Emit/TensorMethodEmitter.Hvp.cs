using System.Linq;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Ir.Tensors;

namespace Autodiff.Generator.Emit;

// Second order of a model method, forward over reverse (Pearlmutter's trick on the tape): {Name}Tangent leaves every
// value's tangent on the tape, then {Name}BackwardTangent runs the backward pass with each adjoint's tangent beside it,
// so the tangent of the gradient, a Hessian-vector product, comes out beside the gradient. {Name}Hvp, for float
// results, does the three passes.
internal sealed partial class TensorMethodEmitter
{
    private void EmitSecondOrder(TensorMethod method, CodeBlock body, string ret, string parameters, string arguments, string gradientType, string tapeType)
    {
        (var tangentNames, var adjointTangentNames) = TangentNames(method);
        var differentiable = method.Parameters.Where(p => p.Differentiable).ToList();
        string tangentParameters = TensorParameters(method, p => tangentNames[p.Name]);
        string adjointParameters = TensorParameters(method, p => "d" + p.Name);
        string adjointTangentParameters = TensorParameters(method, p => adjointTangentNames[p.Name]);
        string? missing = MissingRule(method, op => op.Jvp is null || op.VjpTangent is null,
            op => $"Hessian-vector products of '{method.Name}' need a JVP and a VJP tangent for '{op}': register them with Jvp = ... and VjpTangent = ... on its [RegisterDerivative] or [CustomDerivative].");

        body.Line(string.Empty);
        body.Line($"/// <summary>The backward pass of <see cref=\"{method.Name}\"/> and its tangent (forward over reverse), after <see cref=\"{method.Name}Record\"/> and");
        body.Line($"/// <see cref=\"{method.Name}Tangent\"/> on the same tape and arguments: adds <paramref name=\"dResult\"/> times the derivatives to <paramref name=\"gradient\"/>{(differentiable.Count > 0 ? " and the non-null input adjoints" : string.Empty)},");
        body.Line($"/// and their derivatives along <paramref name=\"tangent\"/>{(differentiable.Count > 0 ? " and the inputs' tangents" : string.Empty)} (with <paramref name=\"tdResult\"/> the tangent of dResult) to <paramref name=\"hv\"/>{(differentiable.Count > 0 ? " and the non-null input adjoints' tangents" : string.Empty)}.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"{method.Accessibility} void {method.Name}BackwardTangent({Join(tapeType + " tape", parameters, ret + " dResult", TangentType(method) + " tdResult", gradientType + " tangent", tangentParameters, gradientType + " gradient", gradientType + " hv", adjointParameters, adjointTangentParameters)})"))
        {
            MemberBody(method, body, missing, () =>
            {
                _second = new Tangents(value => ValueTangent(value, tangentNames), adjointTangentNames);
                try
                {
                    EmitBackward(method, body);
                }
                finally
                {
                    _second = null;
                }
            });
        }

        if (method.ReturnKind != TKind.Float)
        {
            return;
        }

        string nulls = string.Join(", ", differentiable.Select(_ => "null"));
        string gradientField = "__" + tapeType + "Gradient";
        body.Line(string.Empty);
        body.Line($"private {gradientType}? {gradientField};");
        body.Line(string.Empty);
        body.Line($"/// <summary>");
        body.Line($"/// Value of <see cref=\"{method.Name}\"/> for a batch and the product of its Hessian (with respect to the model's trainable tensors) with");
        body.Line($"/// <paramref name=\"tangent\"/>, a direction shaped like the gradient, written into <paramref name=\"hv\"/> (overwritten): forward over");
        body.Line($"/// reverse, exact, for about the cost of three gradients. The gradient comes out too, in <paramref name=\"gradient\"/> (overwritten) when one is");
        body.Line($"/// given. Reuses the tape of <c>{method.Name}Gradient</c>, the tangents on it and a gradient of its own: nothing is allocated once shapes repeat.");
        body.Line($"/// </summary>");
        ObsoleteWhen(body, missing);
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"{method.Accessibility} float {method.Name}Hvp({Join(parameters, gradientType + " tangent", gradientType + " hv", gradientType + "? gradient = null")})"))
        {
            MemberBody(method, body, missing, () =>
            {
                body.Line($"{tapeType} tape = __{tapeType} ??= new {tapeType}();");
                body.Line($"gradient ??= {gradientField} ??= new {gradientType}(this);");
                body.Line("gradient.ClearDeferred();");
                body.Line("hv.ClearDeferred();");
                body.Line($"float value = {method.Name}Record({Join("tape", arguments)});");
                body.Line($"{method.Name}Tangent({Join("tape", arguments, "tangent", nulls)});");
                body.Line($"{method.Name}BackwardTangent({Join("tape", arguments, "1f", "0f", "tangent", nulls, "gradient", "hv", nulls, nulls)});");
                body.Line("return value;");
            });
        }
    }
}
