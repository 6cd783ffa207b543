using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The derivatives of a method with <c>T[,]</c> parameters. The IR sees each matrix as a span of its elements row by row
/// and two <c>int</c> counts (<see cref="MatrixParameter"/>), so the work is done by private derivatives over spans
/// (<c>__FOnSpansVjp</c> and its kin, written as for any method); the public <c>FVjp</c>, <c>FGradient</c> and
/// <c>FJvp</c> take and give <c>T[,]</c> of the parameters' shapes, check them, and call those.
/// </summary>
internal static class MatrixWrappers
{
    public static void Emit(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        DifferentiableMethod spans = method with { Name = "__" + method.Name + "OnSpans", Accessibility = "private" };
        var work = new CodeBlock();
        if (!method.IsStub)
        {
            CodeBlock? lanes = DerivativeEmitter.EmitVjp(spans, vectors, work, analysis);
            work.Line(string.Empty);
            CodeBlock? gradientLanes = DerivativeEmitter.EmitGradient(spans, vectors, work, analysis);
            lanes ??= gradientLanes;
            work.Line(string.Empty);
            DerivativeEmitter.EmitJvp(spans, vectors, work, analysis);
            if (lanes is not null)
            {
                work.Line(string.Empty);
                work.Append(lanes);
            }
        }

        var matrices = method.Matrices.ToDictionary(m => m.Name);
        var counts = new HashSet<string>(method.Matrices.SelectMany(m => new[] { m.Rows, m.Columns }));

        // The user's parameters, each T[,] as itself; and the span method's arguments for them.
        string parameters = string.Join(", ", method.Parameters.Where(p => !counts.Contains(p.Name))
            .Select(p => (matrices.ContainsKey(p.Name) ? TypeClassifier.Keyword(p.Kind) + "[,]" : TypeClassifier.TypeText(p.Kind, p.Shape)) + " " + p.Name));
        string arguments = string.Join(", ", method.Parameters.Select(p => Argument(p.Name, matrices)));

        WriteVjp(method, spans, vectors, analysis, output, parameters, arguments, matrices);
        output.Line(string.Empty);
        WriteGradient(method, spans, vectors, analysis, output, parameters, arguments, matrices);
        output.Line(string.Empty);
        WriteJvp(method, spans, vectors, analysis, output, parameters, arguments, matrices);
        if (!work.IsEmpty)
        {
            output.Line(string.Empty);
            output.Comment("The derivatives over spans that the methods above call: each T[,] as its elements row by row and its counts.");
            foreach (Code code in work.Items.Where(c => c is not TextCode { Text: var text } || !text.StartsWith("///", System.StringComparison.Ordinal)))
            {
                output.Add(code);
            }
        }
    }

    private static void WriteVjp(DifferentiableMethod method, DifferentiableMethod spans, VectorSupport vectors, MethodAnalysis analysis, CodeBlock output,
        string parameters, string arguments, Dictionary<string, MatrixParameter> matrices)
    {
        var context = new MethodContext(spans, "d", vectors, analysis);
        string t = context.T;
        string seed = context.Fresh("seed");
        var adjoints = DerivativeEmitter.Adjoints(spans, context).ToList();
        output.Line($"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its value and writes <paramref name=\"{seed}\"/> times its partial derivatives");
        output.Line($"/// to {string.Join(", ", adjoints.Select(a => $"<paramref name=\"{a.Name}\"/>"))} (spans and arrays are overwritten).</summary>");
        DerivativeEmitter.WriteAttributes(output, context);
        string signature = $"{method.Accessibility} static {t} {method.Name}Vjp({DerivativeEmitter.Join(parameters, $"{t} {seed}", Declarations(adjoints, matrices))})";
        using (output.Block(signature))
        {
            Call(method, spans, output, "Vjp", adjoints, matrices, DerivativeEmitter.Join(arguments, seed, Arguments(adjoints, matrices)), "return ");
        }
    }

    private static void WriteGradient(DifferentiableMethod method, DifferentiableMethod spans, VectorSupport vectors, MethodAnalysis analysis, CodeBlock output,
        string parameters, string arguments, Dictionary<string, MatrixParameter> matrices)
    {
        var context = new MethodContext(spans, "d", vectors, analysis);
        var adjoints = DerivativeEmitter.Adjoints(spans, context).ToList();
        output.Line($"/// <summary>Value and gradient of <see cref=\"{method.Name}\"/>: one adjoint per differentiable parameter, in order (spans and arrays are overwritten).</summary>");
        DerivativeEmitter.WriteAttributes(output, context);
        using (output.Block($"{method.Accessibility} static {context.T} {method.Name}Gradient({DerivativeEmitter.Join(parameters, Declarations(adjoints, matrices))})"))
        {
            Call(method, spans, output, "Gradient", adjoints, matrices, DerivativeEmitter.Join(arguments, Arguments(adjoints, matrices)), "return ");
        }
    }

    private static void WriteJvp(DifferentiableMethod method, DifferentiableMethod spans, VectorSupport vectors, MethodAnalysis analysis, CodeBlock output,
        string parameters, string arguments, Dictionary<string, MatrixParameter> matrices)
    {
        var context = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string t = context.T;
        var tangents = DerivativeEmitter.Tangents(spans, context);
        output.Line($"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its value and its directional derivative along the tangents {string.Join(", ", tangents.Select(x => $"<paramref name=\"{x.Name}\"/>"))}.</summary>");
        DerivativeEmitter.WriteAttributes(output, context);
        using (output.Block($"{method.Accessibility} static ({t} Value, {t} Tangent) {method.Name}Jvp({DerivativeEmitter.Join(parameters, Declarations(tangents, matrices))})"))
        {
            Call(method, spans, output, "Jvp", tangents, matrices, DerivativeEmitter.Join(arguments, Arguments(tangents, matrices)), "return ");
        }
    }

    // The shape checks, then the call of the span method (or the stub's throw).
    private static void Call(DifferentiableMethod method, DifferentiableMethod spans, CodeBlock output, string suffix,
        IEnumerable<(string Declaration, string Name, VarInfo Parameter)> derivatives, Dictionary<string, MatrixParameter> matrices, string arguments, string prefix)
    {
        if (method.IsStub)
        {
            output.Line(DerivativeEmitter.Stub(method));
            return;
        }

        foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => matrices.ContainsKey(d.Parameter.Name)))
        {
            string of = parameter.Name;
            output.Line($"if ({name}.GetLength(0) != {of}.GetLength(0) || {name}.GetLength(1) != {of}.GetLength(1)) {TypeRefs.Helpers}.ThrowShape(\"{name}\", \"{of}\", {of}, {name});");
        }

        output.Line($"{prefix}{DerivativeEmitter.Qualified(method, spans.Name + suffix)}({arguments});");
    }

    private static string Argument(string parameter, Dictionary<string, MatrixParameter> matrices)
    {
        if (matrices.TryGetValue(parameter, out MatrixParameter? matrix))
        {
            return $"{TypeRefs.Helpers}.Elements({matrix.Name})";
        }

        foreach (MatrixParameter m in matrices.Values)
        {
            if (m.Rows == parameter)
            {
                return m.Name + ".GetLength(0)";
            }

            if (m.Columns == parameter)
            {
                return m.Name + ".GetLength(1)";
            }
        }

        return parameter;
    }

    private static string Declarations(IEnumerable<(string Declaration, string Name, VarInfo Parameter)> derivatives, Dictionary<string, MatrixParameter> matrices)
        => string.Join(", ", derivatives.Select(d => matrices.ContainsKey(d.Parameter.Name) ? TypeClassifier.Keyword(d.Parameter.Kind) + "[,] " + d.Name : d.Declaration));

    private static string Arguments(IEnumerable<(string Declaration, string Name, VarInfo Parameter)> derivatives, Dictionary<string, MatrixParameter> matrices)
        => string.Join(", ", derivatives.Select(d => matrices.ContainsKey(d.Parameter.Name)
            ? $"{TypeRefs.Helpers}.Elements({d.Name})"
            : (d.Parameter.Shape == ShapeKind.Scalar && d.Declaration.StartsWith("out ", System.StringComparison.Ordinal) ? "out " : string.Empty) + d.Name));
}
