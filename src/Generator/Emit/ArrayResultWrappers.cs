using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The derivatives of a method that returns a <c>T[]</c> (<see cref="DifferentiableMethod.ArrayResult"/>), one design with
/// the vector-valued methods: the IR holds its results in a span parameter of its own, so <see cref="VectorEmitter"/>
/// writes <c>__FOnSpansVjp</c>, <c>__FOnSpansJvp</c> and <c>__FOnSpansJacobian</c> over that span, privately; the public
/// <c>FVjp(p, seed, dp)</c>, <c>FJvp(p, tp)</c> and <c>FJacobian(p, jacobian)</c> call those on an array of the results,
/// sized by the seed or the Jacobian's rows, or, for the JVP and a matrix (whose count or shape only running the method
/// tells), the method's own array; they return it (and the tangent, an array of its length).
/// </summary>
internal static class ArrayResultWrappers
{
    public static List<CodeBlock> Emit(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        DifferentiableMethod spans = DerivativeEmitter.OnSpans(method);
        var work = new CodeBlock();
        List<CodeBlock> lanes = VectorEmitter.Emit(spans, vectors, work, analysis);
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string results = method.OutputParameter!;
        if (method.Result is { Shape: FlatShape.Struct } resultStruct)
        {
            WriteStructResult(method, spans, vectors, analysis, output, resultStruct);
            AppendWork(output, work);
            return lanes;
        }

        var user = method.Parameters.Where(p => p.Name != results).ToList();
        string parameters = string.Join(", ", user.Select(p => TypeClassifier.TypeText(p.Kind, p.Shape) + " " + p.Name));
        string arguments = string.Join(", ", user.Select(p => p.Name));

        // A T[] is its own results span; a T[,] is viewed as its elements row by row, and its seed and tangent have its shape.
        bool matrix = method.Result is { Shape: FlatShape.Matrix };
        string type = matrix ? t + "[,]" : t + "[]";
        string View(string array) => matrix ? $"{TypeRefs.Helpers}.Elements({array})" : array;
        string Call(string suffix, params string[] more) => $"{DerivativeEmitter.Qualified(method, spans.Name + suffix)}({DerivativeEmitter.Join(arguments, View(results), string.Join(", ", more.Where(m => m.Length > 0)))});";
        string primal = $"{type} {results} = {DerivativeEmitter.Qualified(method, method.Name)}({arguments});";

        // The names VectorEmitter gives the seed, the adjoints and the tangents.
        (string seed, List<(string Declaration, string Name, VarInfo Parameter)> adjoints) = VectorEmitter.VjpNames(spans, vectors);
        output.Line($"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its results and writes <paramref name=\"{seed}\"/>ᵀ J, a seed per result, to");
        output.Line($"/// {string.Join(", ", adjoints.Select(a => $"<paramref name=\"{a.Name}\"/>"))} (spans are overwritten).</summary>");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);
        string seedDeclaration = matrix ? $"{type} {seed}" : $"global::System.ReadOnlySpan<{t}> {seed}";
        using (output.Block($"{method.Accessibility} static {type} {method.Name}Vjp({DerivativeEmitter.Join(parameters, seedDeclaration, string.Join(", ", adjoints.Select(a => a.Declaration)))})"))
        {
            string vjp = Call("Vjp", View(seed), string.Join(", ", adjoints.Select(a => (a.Parameter.Shape == ShapeKind.Scalar ? "out " : string.Empty) + a.Name)));
            if (matrix)
            {
                output.Line(primal);
                output.Line($"if ({seed}.GetLength(0) != {results}.GetLength(0) || {seed}.GetLength(1) != {results}.GetLength(1)) {TypeRefs.Helpers}.ThrowShape(\"{seed}\", \"the result\", {results}, {seed});");
                output.Line(vjp);
            }
            else
            {
                SizedBy(output, method, results, t, $"{seed}.Length", vjp, seed, "a value");
            }

            output.Line($"return {results};");
        }

        output.Line(string.Empty);
        var forward = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string resultTangent = forward.Fresh("t" + results.TrimStart('@'));
        var tangents = DerivativeEmitter.Tangents(spans, forward);
        output.Line($"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its results, and their directional derivatives along");
        output.Line($"/// {string.Join(", ", tangents.Select(x => $"<paramref name=\"{x.Name}\"/>"))}, J·v, in a new {(matrix ? "matrix of their shape" : "array of their length")}.</summary>");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);
        using (output.Block($"{method.Accessibility} static ({type} Value, {type} Tangent) {method.Name}Jvp({DerivativeEmitter.Join(parameters, string.Join(", ", tangents.Select(x => x.Declaration)))})"))
        {
            output.Line(primal);
            output.Line(matrix ? $"var {resultTangent} = new {t}[{results}.GetLength(0), {results}.GetLength(1)];" : $"var {resultTangent} = new {t}[{results}.Length];");
            output.Line(Call("Jvp", string.Join(", ", tangents.Select(x => x.Name)), View(resultTangent)));
            output.Line($"return ({results}, {resultTangent});");
        }

        output.Line(string.Empty);
        string jacobian = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("jacobian");
        var differentiable = user.Where(p => p.Differentiable).ToList();
        string order = string.Join(", ", differentiable.Select(p => p.Shape == ShapeKind.Scalar ? p.Name : p.Name + "[0..]"));
        output.Line($"/// <summary>Returns the results of <see cref=\"{method.Name}\"/> and writes its Jacobian to <paramref name=\"{jacobian}\"/>: m × n, row i the");
        output.Line($"/// derivatives of result i{(matrix ? " (the matrix row by row)" : string.Empty)} with respect to the n differentiable values in the order {order}. Takes one JVP per column");
        output.Line("/// when n &lt; m, else one VJP per row.</summary>");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);
        using (output.Block($"{method.Accessibility} static {type} {method.Name}Jacobian({DerivativeEmitter.Join(parameters, t + "[,] " + jacobian)})"))
        {
            if (matrix)
            {
                output.Line(primal);
                output.Line(Call("Jacobian", jacobian));
            }
            else
            {
                SizedBy(output, method, results, t, $"{jacobian}.GetLength(0)", Call("Jacobian", jacobian), jacobian, "a row");
            }

            output.Line($"return {results};");
        }

        AppendWork(output, work);
        return lanes;
    }

    // The results of a T[] method sized from an argument (a seed's length, a Jacobian's rows), so that the method need
    // not run first to tell their count; the span derivative checks what the method returns against it (a
    // AutodiffResultLengthException), and the error names the argument.
    private static void SizedBy(CodeBlock output, DifferentiableMethod method, string results, string t, string length, string call, string argument, string per)
    {
        output.Line($"var {results} = new {t}[{length}];");
        CallSizedBy(output, method, call, argument, per);
    }

    /// <summary>The call of a span derivative on results sized from <paramref name="argument"/>, a length mismatch reported by its name.</summary>
    internal static void CallSizedBy(CodeBlock output, DifferentiableMethod method, string call, string argument, string per)
    {
        output.Line("try");
        output.Line("{");
        output.Line("    " + call);
        output.Line("}");
        string error = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("__error");
        output.Line($"catch (global::Autodiff.Generated.AutodiffResultLengthException {error})");
        output.Line("{");
        output.Line($"    throw new global::System.ArgumentException(\"'{argument}' must have {per} per result of {method.Name} (\" + {error}.Returned + \"), but has \" + {error}.Expected + \".\", \"{argument}\");");
        output.Line("}");
    }

    /// <summary>A struct of reals built from its fields, element k of <paramref name="span"/> its k-th (the result's template).</summary>
    internal static string StructValue(FlatParameter result, string span)
    {
        string value = result.Template!;
        for (int k = 0; k < result.Paths.Count; k++)
        {
            value = value.Replace("{" + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", span + "[" + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
        }

        return value;
    }

    private static void AppendWork(CodeBlock output, CodeBlock work)
        => DerivativeEmitter.AppendOnSpans(output, work, "The derivatives over a span of the results that the methods above call.");

    // A method that returns a struct of reals: its results are the struct's fields, as many as it has, so the span is
    // stack memory and the method need not run first; the seed and the tangent are structs too.
    private static void WriteStructResult(DifferentiableMethod method, DifferentiableMethod spans, VectorSupport vectors, MethodAnalysis analysis, CodeBlock output, FlatParameter result)
    {
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string type = result.Name;
        int count = result.Paths.Count;
        string results = method.OutputParameter!;
        var user = method.Parameters.Where(p => p.Name != results).ToList();
        string parameters = string.Join(", ", user.Select(p => TypeClassifier.TypeText(p.Kind, p.Shape) + " " + p.Name));
        string arguments = string.Join(", ", user.Select(p => p.Name));
        string Call(string suffix, params string[] more) => $"{DerivativeEmitter.Qualified(method, spans.Name + suffix)}({DerivativeEmitter.Join(arguments, results, string.Join(", ", more.Where(m => m.Length > 0)))});";
        string Build(string span) => StructValue(result, span);

        string stack = $"global::System.Span<{t}> {results} = stackalloc {t}[{count}];";
        (string seed, List<(string Declaration, string Name, VarInfo Parameter)> adjoints) = VectorEmitter.VjpNames(spans, vectors);
        output.Line($"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its value and writes <paramref name=\"{seed}\"/>ᵀ J, a seed per field, to");
        output.Line($"/// {string.Join(", ", adjoints.Select(a => $"<paramref name=\"{a.Name}\"/>"))} (spans are overwritten).</summary>");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);
        using (output.Block($"{method.Accessibility} static {type} {method.Name}Vjp({DerivativeEmitter.Join(parameters, $"{type} {seed}", string.Join(", ", adjoints.Select(a => a.Declaration)))})"))
        {
            output.Line(stack);
            string seedSpan = seed + "Fields";
            output.Line($"global::System.ReadOnlySpan<{t}> {seedSpan} = stackalloc {t}[] {{ {string.Join(", ", result.Paths.Select(p => seed + "." + p))} }};");
            output.Line(Call("Vjp", seedSpan, string.Join(", ", adjoints.Select(a => (a.Parameter.Shape == ShapeKind.Scalar ? "out " : string.Empty) + a.Name))));
            output.Line($"return {Build(results)};");
        }

        output.Line(string.Empty);
        var forward = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string resultTangent = forward.Fresh("t" + results.TrimStart('@'));
        var tangents = DerivativeEmitter.Tangents(spans, forward);
        output.Line($"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its value, and its directional derivative along");
        output.Line($"/// {string.Join(", ", tangents.Select(x => $"<paramref name=\"{x.Name}\"/>"))}, J·v, as a value of the same type.</summary>");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);
        using (output.Block($"{method.Accessibility} static ({type} Value, {type} Tangent) {method.Name}Jvp({DerivativeEmitter.Join(parameters, string.Join(", ", tangents.Select(x => x.Declaration)))})"))
        {
            output.Line(stack);
            output.Line($"global::System.Span<{t}> {resultTangent} = stackalloc {t}[{count}];");
            output.Line(Call("Jvp", string.Join(", ", tangents.Select(x => x.Name)), resultTangent));
            output.Line($"return ({Build(results)}, {Build(resultTangent)});");
        }

        output.Line(string.Empty);
        string jacobian = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("jacobian");
        output.Line($"/// <summary>Returns the value of <see cref=\"{method.Name}\"/> and writes its Jacobian to <paramref name=\"{jacobian}\"/>: a row per field of");
        output.Line("/// the value in declaration order, a column per differentiable value in parameter order.</summary>");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);
        using (output.Block($"{method.Accessibility} static {type} {method.Name}Jacobian({DerivativeEmitter.Join(parameters, t + "[,] " + jacobian)})"))
        {
            output.Line(stack);
            output.Line(Call("Jacobian", jacobian));
            output.Line($"return {Build(results)};");
        }
    }
}
