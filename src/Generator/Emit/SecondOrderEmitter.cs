using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Transforms;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The second derivatives of a <c>[Differentiable(SecondOrder = true)]</c> method, all by reverse mode over forward mode
/// (<see cref="TangentProgram"/>): <c>{Name}Directional</c> (∇f·v), <c>{Name}DirectionalVjp</c> (its reverse mode, what
/// second-order callers differentiate through), <c>{Name}Hvp</c> (H·v in one forward and one reverse sweep) and
/// <c>{Name}Hessian</c> (one product per column).
/// </summary>
internal static class SecondOrderEmitter
{
    /// <summary>Writes the four methods; returns the lane methods their vector loops call.</summary>
    /// <param name="overSpans">The method is the private span form of one with matrices or jagged arrays
    /// (<see cref="FlatWrappers"/>), which has no primal of its own: the Hessian takes its value from the JVP.</param>
    public static List<CodeBlock> Emit(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis, bool overSpans = false)
    {
        var lanes = new List<CodeBlock>();
        List<string> tangents = TangentProgram.TangentNames(method);
        var differentiable = method.Parameters.Where(p => p.Differentiable).ToList();
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string tangentParameters = string.Join(", ", differentiable.Select((p, i) => DerivativeEmitter.TangentType(p) + " " + tangents[i]));
        string signature = DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), tangentParameters);
        string arguments = string.Join(", ", method.Parameters.Select(p => p.Name).Concat(tangents));
        var attributes = new CodeBlock();
        DerivativeEmitter.WriteAttributes(attributes, vectors.SkipLocalsInit);

        output.Line(string.Empty);
        output.Line($"/// <summary>The directional derivative of <see cref=\"{method.Name}\"/> along {Refs(tangents)}: the gradient dotted with them, the tangent of <see cref=\"{method.Name}Jvp\"/>.</summary>");
        output.Append(attributes);
        output.Line($"{method.Accessibility} static {t} {method.Name}Directional({signature})");
        output.Line($"    => {DerivativeEmitter.Qualified(method, method.Name + "Jvp")}({arguments}).Tangent;");

        // Reverse mode of the directional derivative, every parameter differentiable: what a second-order caller calls.
        // Over scalars, it also gives the method's value, so that a caller needing both (its own tangent program does
        // for every call it differentiates) makes one call, not two (see PairedCalls); the overload without it forwards.
        output.Line(string.Empty);
        bool givesValue = !overSpans && differentiable.All(p => p.Shape == ShapeKind.Scalar);
        DifferentiableMethod directional = TangentProgram.Build(method, analysis.Activity, method.Name + "Directional", tangentsDifferentiable: true, keepValue: givesValue);
        (string, string, string)? value = givesValue ? (method.ResultName, "value", $"the value of <see cref=\"{method.Name}\"/>") : null;
        if (DerivativeEmitter.EmitVjp(directional, vectors, output, MethodAnalysis.Run(directional), value) is { } directionalLanes)
        {
            lanes.Add(directionalLanes);
        }

        output.Line(string.Empty);
        if (EmitHvp(method, analysis.Activity, vectors, output, tangents) is { } hvpLanes)
        {
            lanes.Add(hvpLanes);
        }

        output.Line(string.Empty);
        EmitHessian(method, output, attributes, tangents, overSpans);
        return lanes;
    }

    private static string Refs(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"));

    // H·v: the gradient of the directional derivative with respect to the parameters (the tangents held fixed).
    private static CodeBlock? EmitHvp(DifferentiableMethod method, ActivityAnalysis activity, VectorSupport vectors, CodeBlock output, List<string> tangents)
    {
        DifferentiableMethod program = TangentProgram.Build(method, activity, method.Name + "Hvp", tangentsDifferentiable: false);
        var context = new MethodContext(program, "h", vectors, MethodAnalysis.Run(program));
        var products = DerivativeEmitter.Adjoints(program, context).ToList();
        string t = context.T;
        output.Line($"/// <summary>Hessian-vector product of <see cref=\"{method.Name}\"/>: writes H·v to {Refs(products.Select(p => p.Name))} (spans are overwritten), where v is");
        output.Line($"/// {Refs(tangents)}, by reverse mode over forward mode in one pass; returns the directional derivative ∇f·v.</summary>");
        DerivativeEmitter.WriteAttributes(output, context);
        using (output.Block($"{method.Accessibility} static {t} {method.Name}Hvp({DerivativeEmitter.Join(DerivativeEmitter.Parameters(program), string.Join(", ", products.Select(p => p.Declaration)))})"))
        {
            if (method.IsStub)
            {
                output.Line(DerivativeEmitter.Stub(method));
                return null;
            }

            output.Append(AccumulationMerger.Merge(DerivativeEmitter.VjpBody(program, context, Build.Lit(1, method.ReturnKind), products)));
        }

        return context.LaneMethod;
    }

    // The Hessian, one Hessian-vector product per unit vector: row j is H·eⱼ (H is symmetric).
    private static void EmitHessian(DifferentiableMethod method, CodeBlock output, CodeBlock attributes, List<string> tangents, bool overSpans)
    {
        var names = new NameSet(method.Parameters.Select(p => p.Name).Concat(tangents));
        string hessian = names.Fresh("hessian");
        string t = TypeClassifier.Keyword(method.ReturnKind);
        var differentiable = method.Parameters.Where(p => p.Differentiable).ToList();
        string order = string.Join(", ", differentiable.Select(p => p.Shape == ShapeKind.Scalar ? p.Name : p.Name + "[0..]"));
        output.Line($"/// <summary>Value of <see cref=\"{method.Name}\"/> and its Hessian, written to <paramref name=\"{hessian}\"/> (n × n, n the number of differentiable");
        output.Line($"/// values in the order {order}): row j is the Hessian-vector product along the j-th unit vector.</summary>");
        output.Append(attributes);
        using (output.Block($"{method.Accessibility} static {t} {method.Name}Hessian({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), t + "[,] " + hessian)})"))
        {
            if (method.IsStub)
            {
                output.Line(DerivativeEmitter.Stub(method));
                return;
            }

            var flat = new FlatValues(output, differentiable, names, out string n);
            output.Line($"if ({hessian}.GetLength(0) != {n} || {hessian}.GetLength(1) != {n}) throw new global::System.ArgumentException(\"'{hessian}' must be \" + {n} + \" x \" + {n} + \" (one row and column per differentiable value), but is \" + {hessian}.GetLength(0) + \" x \" + {hessian}.GetLength(1) + \".\", \"{hessian}\");");
            List<string> vectors = flat.Declare(output, tangents, clear: true);
            List<string> products = flat.Declare(output, differentiable.Select(p => names.Fresh("h" + p.Name.TrimStart('@'))).ToList(), clear: false);
            string j = names.Fresh("__j");
            using (output.Block($"for (int {j} = 0; {j} < {n}; {j}++)"))
            {
                flat.SetUnit(output, vectors, j);
                string arguments = string.Join(", ", method.Parameters.Select(p => p.Name).Concat(vectors));
                output.Line($"{DerivativeEmitter.Qualified(method, method.Name + "Hvp")}({arguments}, {flat.OutArguments(products)});");
                flat.CopyToRow(output, products, hessian, j, method.ReturnKind);
                flat.ClearUnit(output, vectors, j);
            }

            string primalArguments = string.Join(", ", method.Parameters.Select(p => p.Name));
            if (overSpans)
            {
                // The value from the JVP along zero tangents (the array ones are all zero again after the loop).
                string zeros = string.Join(", ", differentiable.Select((p, i) => p.Shape == ShapeKind.Scalar ? Literal.Number(0, p.Kind) : vectors[i]));
                string value = names.Fresh("__value");
                output.Line($"{t} {value} = {DerivativeEmitter.Qualified(method, method.Name + "Jvp")}({primalArguments}, {zeros}).Value;");
                flat.ReturnBuffers(output);
                output.Line($"return {value};");
            }
            else
            {
                flat.ReturnBuffers(output);
                output.Line($"return {DerivativeEmitter.Qualified(method, method.Name)}({primalArguments});");
            }
        }
    }
}
