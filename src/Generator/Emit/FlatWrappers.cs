using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Transforms;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The derivatives of a method with <c>T[,]</c>, <c>T[][]</c>, <c>T[][,]</c>, struct or struct-array parameters. The IR
/// holds each flat, a span of its elements in order with int parameters that say where they are
/// (<see cref="FlatParameter"/>), so the work is done by private derivatives over spans (<c>__FOnSpansVjp</c> and its kin,
/// written as for any method). The public derivatives (first and second order, of scalar, vector-valued and
/// array-returning methods) take and give the user's shapes: they check the shapes of the derivatives, view a matrix's
/// storage as a span (no copy), pack a jagged array into pooled storage (one copy, and one back for its adjoint), and
/// call those.
/// </summary>
internal static partial class FlatWrappers
{
    public static void Emit(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        DifferentiableMethod spans = DerivativeEmitter.OnSpans(method);
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

        var wrapper = new Wrapper(method, spans);
        var reverse = new MethodContext(spans, "d", vectors, analysis);
        string t = reverse.T;
        string seed = reverse.Fresh("seed");
        var adjoints = DerivativeEmitter.Adjoints(spans, reverse).ToList();
        wrapper.Write(output, reverse, $"{method.Accessibility} static {t} {method.Name}Vjp", t, "Vjp", adjoints, isAdjoint: true, seed, names => new[]
        {
            $"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its value and writes <paramref name=\"{seed}\"/> times its partial derivatives",
            $"/// to {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))} (spans and arrays are overwritten).</summary>",
        });
        output.Line(string.Empty);

        var gradient = new MethodContext(spans, "d", vectors, analysis);
        adjoints = DerivativeEmitter.Adjoints(spans, gradient).ToList();
        wrapper.Write(output, gradient, $"{method.Accessibility} static {t} {method.Name}Gradient", t, "Gradient", adjoints, isAdjoint: true, seed: null, _ => new[]
        {
            $"/// <summary>Value and gradient of <see cref=\"{method.Name}\"/>: one adjoint per differentiable parameter, in order (spans and arrays are overwritten).</summary>",
        });
        output.Line(string.Empty);

        var forward = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        var tangents = DerivativeEmitter.Tangents(spans, forward);
        wrapper.Write(output, forward, $"{method.Accessibility} static ({t} Value, {t} Tangent) {method.Name}Jvp", $"({t} Value, {t} Tangent)", "Jvp", tangents, isAdjoint: false, seed: null, names => new[]
        {
            $"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its value and its directional derivative along the tangents {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))}.</summary>",
        });

        if (method.SecondOrder)
        {
            WriteSecondOrder(method, spans, vectors, analysis, wrapper, forward, output, work);
        }

        AppendWork(output, work, method);
    }

    /// <summary>
    /// A method that returns a struct of reals, whatever its parameters: as <see cref="EmitArrayResult"/>, the results the
    /// struct's fields on the stack (their count is fixed, so the method need not run first), the seed and the tangent
    /// structs too.
    /// </summary>
    public static List<CodeBlock> EmitStructResult(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        (DifferentiableMethod spans, CodeBlock work, List<CodeBlock> lanes, Wrapper wrapper) = BeginVectorValued(method, vectors, analysis);
        FlatParameter result = method.Result!;
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string type = result.Name;
        int count = result.Paths.Count;
        string results = method.OutputParameter!;
        string Build(string span) => StructValue(result, span);

        string stack = $"global::System.Span<{t}> {results} = stackalloc {t}[{count}];";
        var reverse = new MethodContext(spans, "d", vectors, analysis);
        (string seed, List<(string Declaration, string Name, VarInfo Parameter)> adjoints) = VectorEmitter.VjpNames(spans, vectors);
        string seedFields = reverse.Fresh(seed + "Fields");
        wrapper.Write(output, reverse, $"{method.Accessibility} static {type} {method.Name}Vjp", type, "Vjp", adjoints, isAdjoint: true, seed, names => new[]
        {
            $"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its value and writes <paramref name=\"{seed}\"/>ᵀ J, a seed per field, to",
            $"/// {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))} (spans and arrays are overwritten).</summary>",
        }, seedType: type, results: new Results(
            new[] { stack, $"global::System.ReadOnlySpan<{t}> {seedFields} = stackalloc {t}[] {{ {string.Join(", ", result.Paths.Select(p => seed + "." + p))} }};" },
            null, Build(results), results, seedFields));
        output.Line(string.Empty);

        var forward = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string resultTangent = forward.Fresh("t" + results.TrimStart('@'));
        var tangents = DerivativeEmitter.Tangents(spans, forward);
        wrapper.Write(output, forward, $"{method.Accessibility} static ({type} Value, {type} Tangent) {method.Name}Jvp", $"({type} Value, {type} Tangent)", "Jvp", tangents, isAdjoint: false, seed: null, names => new[]
        {
            $"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its value, and its directional derivative along",
            $"/// {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))}, J·v, as a value of the same type.</summary>",
        }, trailing: (string.Empty, resultTangent),
            results: new Results(new[] { stack, $"global::System.Span<{t}> {resultTangent} = stackalloc {t}[{count}];" }, null, $"({Build(results)}, {Build(resultTangent)})", results));
        output.Line(string.Empty);

        string jacobian = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("jacobian");
        wrapper.Write(output, forward, $"{method.Accessibility} static {type} {method.Name}Jacobian", type, "Jacobian", new List<(string, string, VarInfo)>(), isAdjoint: false, seed: null, _ => new[]
        {
            $"/// <summary>Returns the value of <see cref=\"{method.Name}\"/> and writes its Jacobian to <paramref name=\"{jacobian}\"/>: a row per field of the value in",
            "/// declaration order, a column per differentiable value in parameter order (a matrix's elements row by row, a jagged array's rows one",
            "/// after another, a struct's fields in declaration order).</summary>",
        }, trailing: ($"{t}[,] {jacobian}", jacobian), results: new Results(new[] { stack }, null, Build(results), results));

        AppendWork(output, work, method);
        return lanes;
    }

    // The span derivatives of a vector-valued method (VectorEmitter, into `work`) and the frame of its public ones.
    private static (DifferentiableMethod Spans, CodeBlock Work, List<CodeBlock> Lanes, Wrapper Wrapper) BeginVectorValued(DifferentiableMethod method, VectorSupport vectors, MethodAnalysis analysis)
    {
        DifferentiableMethod spans = DerivativeEmitter.OnSpans(method);
        var work = new CodeBlock();
        List<CodeBlock> lanes = method.IsStub ? new List<CodeBlock>() : VectorEmitter.Emit(spans, vectors, work, analysis);
        return (spans, work, lanes, new Wrapper(method, spans));
    }

    private static void AppendWork(CodeBlock output, CodeBlock work, DifferentiableMethod method)
    {
        if (!work.IsEmpty)
        {
            DerivativeEmitter.AppendOnSpans(output, work, method.Arrays.IsEmpty
                ? "The derivatives over a span of the results that the methods above call."
                : "The derivatives over spans that the methods above call: each T[,], T[][] or T[][,] as its elements in order, and where they are.");
        }
    }

    // FDirectional, FHvp and FHessian in the user's shapes over the second derivatives over spans (SecondOrderEmitter,
    // written into `work`); FDirectionalVjp, which only second-order callers call, stays over spans.
    private static void WriteSecondOrder(DifferentiableMethod method, DifferentiableMethod spans, VectorSupport vectors, MethodAnalysis analysis, Wrapper wrapper,
        MethodContext forward, CodeBlock output, CodeBlock work)
    {
        string t = TypeClassifier.Keyword(method.ReturnKind);
        if (!method.IsStub)
        {
            work.Line(string.Empty);
            foreach (CodeBlock lane in SecondOrderEmitter.Emit(spans, vectors, work, analysis, overSpans: true))
            {
                work.Line(string.Empty);
                work.Append(lane);
            }
        }

        // The tangents and products as SecondOrderEmitter names them.
        List<string> tangentNames = TangentProgram.TangentNames(spans);
        var differentiable = spans.Parameters.Where(p => p.Differentiable).ToList();
        var tangents = differentiable.Select((p, i) => (Declaration: DerivativeEmitter.TangentType(p) + " " + tangentNames[i], Name: tangentNames[i], Parameter: p)).ToList();
        DifferentiableMethod program = TangentProgram.Build(spans, analysis.Activity, spans.Name + "Hvp", tangentsDifferentiable: false);
        var products = DerivativeEmitter.Adjoints(program, new MethodContext(program, "h", vectors, MethodAnalysis.Run(program)))
            .Select(p => (p.Declaration, p.Name, Parameter: differentiable.First(d => d.Name == p.Parameter.Name))).ToList();

        output.Line(string.Empty);
        wrapper.Write(output, forward, $"{method.Accessibility} static {t} {method.Name}Directional", t, "Directional", tangents, isAdjoint: false, seed: null, names => new[]
        {
            $"/// <summary>The directional derivative of <see cref=\"{method.Name}\"/> along {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))}: the gradient dotted with them.</summary>",
        });
        output.Line(string.Empty);
        wrapper.Write(output, forward, $"{method.Accessibility} static {t} {method.Name}Hvp", t, "Hvp", tangents.Concat(products).ToList(), isAdjoint: false, seed: null, names => new[]
        {
            $"/// <summary>Hessian-vector product of <see cref=\"{method.Name}\"/>: writes H·v to {string.Join(", ", products.Select(p => $"<paramref name=\"{p.Name}\"/>"))} (overwritten), v being",
            $"/// {string.Join(", ", tangents.Select(p => $"<paramref name=\"{p.Name}\"/>"))}, by reverse mode over forward mode in one pass; returns the directional derivative ∇f·v.</summary>",
        }, outputs: new HashSet<string>(products.Select(p => p.Name)));
        output.Line(string.Empty);
        string hessian = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("hessian");
        wrapper.Write(output, forward, $"{method.Accessibility} static {t} {method.Name}Hessian", t, "Hessian", new List<(string, string, VarInfo)>(), isAdjoint: false, seed: null, _ => new[]
        {
            $"/// <summary>Value of <see cref=\"{method.Name}\"/> and its Hessian, written to <paramref name=\"{hessian}\"/>: n × n, n the differentiable values in",
            "/// parameter order (a matrix's elements row by row, a jagged array's rows one after another).</summary>",
        }, trailing: ($"{t}[,] {hessian}", hessian));
    }

    /// <summary>
    /// A vector-valued method (<c>[Output]</c> span) with such parameters: <see cref="VectorEmitter"/> writes its VJP, JVP
    /// and Jacobian over spans, privately, and the public ones take and give the user's shapes as above. The Jacobian's
    /// columns are the differentiable values in parameter order, a matrix's elements row by row, a jagged array's row
    /// after row, a struct's fields in declaration order.
    /// </summary>
    public static List<CodeBlock> EmitVectorValued(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        (DifferentiableMethod spans, CodeBlock work, List<CodeBlock> lanes, Wrapper wrapper) = BeginVectorValued(method, vectors, analysis);
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string results = method.OutputParameter!;

        var reverse = new MethodContext(spans, "d", vectors, analysis);
        (string seed, List<(string Declaration, string Name, VarInfo Parameter)> adjoints) = VectorEmitter.VjpNames(spans, vectors);
        wrapper.Write(output, reverse, $"{method.Accessibility} static void {method.Name}Vjp", "void", "Vjp", adjoints, isAdjoint: true, seed, names => new[]
        {
            $"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: writes its results to <paramref name=\"{results}\"/> and <paramref name=\"{seed}\"/>ᵀ J, a seed per",
            $"/// result, to {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))} (spans and arrays are overwritten).</summary>",
        }, seedType: $"global::System.ReadOnlySpan<{t}>");
        output.Line(string.Empty);

        var forward = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string resultTangent = forward.Fresh("t" + results.TrimStart('@'));
        var tangents = DerivativeEmitter.Tangents(spans, forward);
        wrapper.Write(output, forward, $"{method.Accessibility} static void {method.Name}Jvp", "void", "Jvp", tangents, isAdjoint: false, seed: null, names => new[]
        {
            $"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: writes its results to <paramref name=\"{results}\"/> and their directional derivatives along",
            $"/// {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))}, J·v, to <paramref name=\"{resultTangent}\"/>.</summary>",
        }, trailing: ($"global::System.Span<{t}> {resultTangent}", resultTangent));
        output.Line(string.Empty);

        string jacobian = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("jacobian");
        wrapper.Write(output, forward, $"{method.Accessibility} static void {method.Name}Jacobian", "void", "Jacobian", new List<(string, string, VarInfo)>(), isAdjoint: false, seed: null, _ => new[]
        {
            $"/// <summary>Writes the results of <see cref=\"{method.Name}\"/> to <paramref name=\"{results}\"/> and its Jacobian to <paramref name=\"{jacobian}\"/>: m × n, row i",
            "/// the derivatives of result i with respect to the n differentiable values in parameter order (a matrix's elements row by row, a jagged",
            "/// array's rows one after another, a struct's fields in declaration order). By columns when n &lt; m or the sweeps over lane vectors are no more than m, else by rows.</summary>",
        }, trailing: ($"{t}[,] {jacobian}", jacobian));

        AppendWork(output, work, method);
        return lanes;
    }

    /// <summary>
    /// A method that returns a <c>T[]</c> or <c>T[,]</c>, whatever its parameters: <see cref="VectorEmitter"/> writes the
    /// derivatives over the IR's results span, privately, and the public ones take and give the user's shapes and return
    /// the results, in an array sized by the seed or the Jacobian's rows for a <c>T[]</c>, or the method's own (run first)
    /// for the JVP and for a matrix, whose count or shape only running it tells.
    /// </summary>
    public static List<CodeBlock> EmitArrayResult(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        (DifferentiableMethod spans, CodeBlock work, List<CodeBlock> lanes, Wrapper wrapper) = BeginVectorValued(method, vectors, analysis);
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string results = method.OutputParameter!;
        bool matrix = method.Result is { Shape: FlatShape.Matrix };
        string type = matrix ? t + "[,]" : t + "[]";
        string View(string array) => matrix ? $"{TypeRefs.Helpers}.Elements({array})" : array;
        string primal = $"{type} {results} = {DerivativeEmitter.Qualified(method, method.Name)}({wrapper.UserArguments()});";

        var reverse = new MethodContext(spans, "d", vectors, analysis);
        (string seed, List<(string Declaration, string Name, VarInfo Parameter)> adjoints) = VectorEmitter.VjpNames(spans, vectors);
        Results vjpResults = matrix
            ? new Results(new[] { primal, $"if ({seed}.GetLength(0) != {results}.GetLength(0) || {seed}.GetLength(1) != {results}.GetLength(1)) {TypeRefs.Helpers}.ThrowShape(\"{seed}\", \"the result\", {results}, {seed});" },
                null, results, View(results), View(seed))
            : new Results(new[] { $"var {results} = new {t}[{seed}.Length];" }, (seed, "a value"), results, results);
        wrapper.Write(output, reverse, $"{method.Accessibility} static {type} {method.Name}Vjp", type, "Vjp", adjoints, isAdjoint: true, seed, names => new[]
        {
            $"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its results and writes <paramref name=\"{seed}\"/>ᵀ J, a seed per result, to",
            $"/// {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))} (spans and arrays are overwritten).</summary>",
        }, seedType: matrix ? type : $"global::System.ReadOnlySpan<{t}>", results: vjpResults);
        output.Line(string.Empty);

        var forward = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string resultTangent = forward.Fresh("t" + results.TrimStart('@'));
        var tangents = DerivativeEmitter.Tangents(spans, forward);
        string tangentArray = matrix ? $"var {resultTangent} = new {t}[{results}.GetLength(0), {results}.GetLength(1)];" : $"var {resultTangent} = new {t}[{results}.Length];";
        wrapper.Write(output, forward, $"{method.Accessibility} static ({type} Value, {type} Tangent) {method.Name}Jvp", $"({type} Value, {type} Tangent)", "Jvp", tangents, isAdjoint: false, seed: null, names => new[]
        {
            $"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its results, and their directional derivatives along",
            $"/// {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))}, J·v, in a new {(matrix ? "matrix of their shape" : "array of their length")}.</summary>",
        }, trailing: (string.Empty, View(resultTangent)), results: new Results(new[] { primal, tangentArray }, null, $"({results}, {resultTangent})", View(results)));
        output.Line(string.Empty);

        string jacobian = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("jacobian");
        Results jacobianResults = matrix
            ? new Results(new[] { primal }, null, results, View(results))
            : new Results(new[] { $"var {results} = new {t}[{jacobian}.GetLength(0)];" }, (jacobian, "a row"), results, results);
        wrapper.Write(output, forward, $"{method.Accessibility} static {type} {method.Name}Jacobian", type, "Jacobian", new List<(string, string, VarInfo)>(), isAdjoint: false, seed: null, _ => new[]
        {
            $"/// <summary>Returns the results of <see cref=\"{method.Name}\"/> and writes its Jacobian to <paramref name=\"{jacobian}\"/>: m × n, row i the derivatives",
            $"/// of result i{(matrix ? " (the matrix row by row)" : string.Empty)} with respect to the n differentiable values in parameter order (a matrix's elements row by row, a",
            "/// jagged array's rows one after another, a struct's fields in declaration order). By columns when n &lt; m or the sweeps over lane vectors are no more than m, else by rows.</summary>",
        }, trailing: ($"{t}[,] {jacobian}", jacobian), results: jacobianResults);

        AppendWork(output, work, method);
        return lanes;
    }
}
