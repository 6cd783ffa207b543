using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Transforms;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The derivatives of a method with <c>T[,]</c>, <c>T[][]</c> or <c>T[][,]</c> parameters. The IR holds each flat, a span
/// of its elements in order with int parameters that say where they are (<see cref="FlatParameter"/>), so the work is done
/// by private derivatives over spans (<c>__FOnSpansVjp</c> and its kin, written as for any method). The public
/// <c>FVjp</c>, <c>FGradient</c> and <c>FJvp</c> take and give the user's shapes: they check the shapes of the
/// derivatives, view a matrix's storage as a span (no copy), pack a jagged array into pooled storage (one copy, and one
/// back for its adjoint), and call those.
/// </summary>
internal static class FlatWrappers
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

        if (!work.IsEmpty)
        {
            DerivativeEmitter.AppendOnSpans(output, work, "The derivatives over spans that the methods above call: each T[,], T[][] or T[][,] as its elements in order, and where they are.");
        }
    }

    /// <summary>
    /// A method that returns a struct of reals and takes such parameters: as <see cref="EmitArrayResult"/>, the results
    /// the struct's fields on the stack (the method need not run first), the seed and the tangent structs too.
    /// </summary>
    public static List<CodeBlock> EmitStructResult(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        DifferentiableMethod spans = DerivativeEmitter.OnSpans(method);
        var work = new CodeBlock();
        List<CodeBlock> lanes = method.IsStub ? new List<CodeBlock>() : VectorEmitter.Emit(spans, vectors, work, analysis);
        var wrapper = new Wrapper(method, spans);
        FlatParameter result = method.Result!;
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string type = result.Name;
        int count = result.Paths.Count;
        string results = method.OutputParameter!;
        string Build(string span)
        {
            string value = result.Template!;
            for (int k = 0; k < count; k++)
            {
                value = value.Replace("{" + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", span + "[" + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
            }

            return value;
        }

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

        if (!work.IsEmpty)
        {
            DerivativeEmitter.AppendOnSpans(output, work, "The derivatives over spans that the methods above call: each T[,], T[][] or T[][,] as its elements in order, and where they are.");
        }

        return lanes;
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
        DifferentiableMethod spans = DerivativeEmitter.OnSpans(method);
        var work = new CodeBlock();
        List<CodeBlock> lanes = method.IsStub ? new List<CodeBlock>() : VectorEmitter.Emit(spans, vectors, work, analysis);
        var wrapper = new Wrapper(method, spans);
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
            "/// array's rows one after another, a struct's fields in declaration order). By columns when n &lt; m, else by rows.</summary>",
        }, trailing: ($"{t}[,] {jacobian}", jacobian));

        if (!work.IsEmpty)
        {
            DerivativeEmitter.AppendOnSpans(output, work, "The derivatives over spans that the methods above call: each T[,], T[][] or T[][,] as its elements in order, and where they are.");
        }

        return lanes;
    }

    /// <summary>
    /// For a method that returns an array (its results the IR's <c>[Output]</c> span, not a parameter of the user's): the
    /// lines that make the results array before the call, the argument that sizes it (checked against what the method
    /// returns), and what the derivative returns.
    /// </summary>
    internal sealed record Results(IReadOnlyList<string> Prologue, (string Name, string Per)? SizedBy, string Value, string Argument, string? SeedArgument = null);

    /// <summary>
    /// A method that returns a <c>T[]</c> or <c>T[,]</c> and takes such parameters: <see cref="VectorEmitter"/> writes the
    /// derivatives over spans, privately, and the public ones take and give the user's shapes and return the results as
    /// <see cref="ArrayResultWrappers"/> does (sized by the seed or the Jacobian's rows for a <c>T[]</c>; the method run
    /// first for the JVP and for a matrix, whose shape only running it tells).
    /// </summary>
    public static List<CodeBlock> EmitArrayResult(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        DifferentiableMethod spans = DerivativeEmitter.OnSpans(method);
        var work = new CodeBlock();
        List<CodeBlock> lanes = method.IsStub ? new List<CodeBlock>() : VectorEmitter.Emit(spans, vectors, work, analysis);
        var wrapper = new Wrapper(method, spans);
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
            "/// jagged array's rows one after another, a struct's fields in declaration order). By columns when n &lt; m, else by rows.</summary>",
        }, trailing: ($"{t}[,] {jacobian}", jacobian), results: jacobianResults);

        if (!work.IsEmpty)
        {
            DerivativeEmitter.AppendOnSpans(output, work, "The derivatives over spans that the methods above call: each T[,], T[][] or T[][,] as its elements in order, and where they are.");
        }

        return lanes;
    }

    /// <summary>One public derivative: the user's shapes in, the span method called.</summary>
    private sealed class Wrapper
    {
        private readonly DifferentiableMethod _method;
        private readonly DifferentiableMethod _spans;
        private readonly Dictionary<string, FlatParameter> _flat;
        private readonly HashSet<string> _companions;

        public Wrapper(DifferentiableMethod method, DifferentiableMethod spans)
        {
            _method = method;
            _spans = spans;
            _flat = method.Arrays.ToDictionary(a => a.Name);
            _companions = new HashSet<string>(method.Arrays.SelectMany(a => a.Companions));
        }

        /// <param name="seedType">The seed's type: the method's scalar type unless given (a vector-valued method's is a span).</param>
        /// <param name="trailing">A parameter after the derivatives, passed through (a JVP's result tangents, a Jacobian).</param>
        public void Write(CodeBlock output, MethodContext context, string head, string returnType, string suffix,
            List<(string Declaration, string Name, VarInfo Parameter)> derivatives, bool isAdjoint, string? seed,
            System.Func<IReadOnlyList<string>, IEnumerable<string>> documentation, string? seedType = null, (string Declaration, string Name)? trailing = null,
            Results? results = null, ISet<string>? outputs = null)
        {
            bool returns = returnType != "void";

            // Which derivatives the span method writes (adjoints, products) and which it reads (tangents): all of one kind
            // unless outputs names them (a Hessian-vector product reads tangents and writes products).
            bool Writes(string name) => outputs?.Contains(name) ?? isAdjoint;
            // A struct's fields, and the derivatives of its fields, stand for one parameter of the user's: named once.
            var structs = _method.Arrays.Where(a => a.Shape == FlatShape.Struct).ToList();
            var fieldOf = new Dictionary<string, (FlatParameter Struct, int Index)>();
            foreach (FlatParameter s in structs)
            {
                for (int i = 0; i < s.Companions.Count; i++)
                {
                    fieldOf[s.Companions[i]] = (s, i);
                }
            }

            // One derivative of the struct's type per struct and kind (an HVP reads a tangent of it and writes a product),
            // named with its fields' derivatives' prefix (d, t, h).
            var structDerivatives = new Dictionary<(FlatParameter Struct, bool Writes), string>();
            foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => fieldOf.ContainsKey(d.Parameter.Name)))
            {
                var key = (fieldOf[parameter.Name].Struct, Writes(name));
                if (!structDerivatives.ContainsKey(key))
                {
                    structDerivatives[key] = context.Fresh((seed is not null ? "d" : name.Substring(0, 1)) + key.Struct.Name.TrimStart('@'));
                }
            }

            // The user's parameters, each flat one in its own shape; then the seed; then the derivatives, likewise.
            var parameters = new List<string>();
            foreach (VarInfo p in _method.Parameters)
            {
                if (fieldOf.TryGetValue(p.Name, out var field))
                {
                    if (field.Index == 0)
                    {
                        parameters.Add(TypeOf(field.Struct) + " " + field.Struct.Name);
                    }
                }
                else if (!_companions.Contains(p.Name) && (results is null || p.Name != _method.OutputParameter))
                {
                    parameters.Add((_flat.TryGetValue(p.Name, out FlatParameter? f) ? UserType(p.Kind, f) : TypeClassifier.TypeText(p.Kind, p.Shape)) + " " + p.Name);
                }
            }

            var declarations = new List<string>();
            foreach ((string declaration, string name, VarInfo parameter) in derivatives)
            {
                if (fieldOf.TryGetValue(parameter.Name, out var field))
                {
                    if (derivatives.First(d => fieldOf.TryGetValue(d.Parameter.Name, out var first) && first.Struct == field.Struct && Writes(d.Name) == Writes(name)).Name == name)
                    {
                        declarations.Add((Writes(name) ? "out " : string.Empty) + TypeOf(field.Struct) + " " + structDerivatives[(field.Struct, Writes(name))]);
                    }
                }
                else
                {
                    declarations.Add(_flat.TryGetValue(parameter.Name, out FlatParameter? f) ? UserType(parameter.Kind, f, derivative: Writes(name) || seed is not null ? "Span" : "ReadOnlySpan") + " " + name : declaration);
                }
            }

            string all = DerivativeEmitter.Join(string.Join(", ", parameters), seed is null ? string.Empty : (seedType ?? TypeClassifier.Keyword(_method.ReturnKind)) + " " + seed,
                string.Join(", ", declarations), trailing?.Declaration ?? string.Empty);

            // The documentation names the derivatives as the signature does (a struct's once, not its fields').
            var documented = derivatives.Select(d => fieldOf.TryGetValue(d.Parameter.Name, out var f) ? structDerivatives[(f.Struct, Writes(d.Name))] : d.Name).Distinct().ToList();
            foreach (string line in documentation(documented))
            {
                output.Line(line);
            }

            DerivativeEmitter.WriteAttributes(output, context);
            using (output.Block($"{head}({all})"))
            {
                if (_method.IsStub)
                {
                    foreach (KeyValuePair<(FlatParameter Struct, bool Writes), string> adjoint in structDerivatives.Where(d => d.Key.Writes))
                    {
                        output.Line(adjoint.Value + " = default;");
                    }

                    output.Line(DerivativeEmitter.Stub(_method));
                    return;
                }

                // The shapes of the derivatives, checked before anything is packed.
                foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => _flat.TryGetValue(d.Parameter.Name, out FlatParameter? f) && f.Shape != FlatShape.Struct))
                {
                    string of = parameter.Name;
                    output.Line(_flat[of].Shape switch
                    {
                        FlatShape.Matrix => $"if ({name}.GetLength(0) != {of}.GetLength(0) || {name}.GetLength(1) != {of}.GetLength(1)) {TypeRefs.Helpers}.ThrowShape(\"{name}\", \"{of}\", {of}, {name});",
                        // In elements, before the span methods compare the fields.
                        FlatShape.StructArray => $"if ({name}.Length != {of}.Length) {TypeRefs.Helpers}.ThrowLength(\"{name}\", \"{of}\", {of}.Length, {name}.Length);",
                        _ => $"{TypeRefs.Helpers}.CheckShape(\"{name}\", \"{of}\", {of}, {name});",
                    });
                }

                // Jagged arrays packed: the parameters and tangents with their elements, the adjoints by shape only.
                var packs = new Dictionary<string, string>();
                var written = new List<(string Pack, string Into)>();
                foreach (VarInfo parameter in _method.Parameters.Where(p => _flat.TryGetValue(p.Name, out FlatParameter? f) && f.Shape is FlatShape.Jagged or FlatShape.JaggedMatrices))
                {
                    packs[parameter.Name] = Pack(output, context, parameter, parameter.Name, copy: true);
                }

                foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => _flat.TryGetValue(d.Parameter.Name, out FlatParameter? f) && f.Shape is FlatShape.Jagged or FlatShape.JaggedMatrices))
                {
                    packs[name] = Pack(output, context, parameter, name, copy: !Writes(name));
                    if (Writes(name))
                    {
                        written.Add((packs[name], name));
                    }
                }

                // A struct's adjoint: one local per field, then the struct built from them.
                foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => fieldOf.ContainsKey(d.Parameter.Name) && Writes(d.Name)))
                {
                    output.Line($"{TypeClassifier.Keyword(parameter.Kind)} {name};");
                }

                var arguments = new List<string>();
                foreach (VarInfo p in _method.Parameters)
                {
                    if (fieldOf.TryGetValue(p.Name, out var field))
                    {
                        arguments.Add(field.Struct.Name + "." + field.Struct.Paths[field.Index]);
                    }
                    else if (results is not null && p.Name == _method.OutputParameter)
                    {
                        arguments.Add(results.Argument);
                    }
                    else if (!_companions.Contains(p.Name))
                    {
                        arguments.AddRange(Arguments(p, p.Name, packs, companions: true));
                    }
                }

                var derivativeArguments = new List<string>();
                foreach ((string declaration, string name, VarInfo parameter) in derivatives)
                {
                    if (fieldOf.TryGetValue(parameter.Name, out var field))
                    {
                        derivativeArguments.Add(Writes(name) ? "out " + name : structDerivatives[(field.Struct, false)] + "." + field.Struct.Paths[field.Index]);
                    }
                    else
                    {
                        derivativeArguments.AddRange(_flat.ContainsKey(parameter.Name)
                            ? Arguments(parameter, name, packs, companions: false)
                            : new[] { (declaration.StartsWith("out ", System.StringComparison.Ordinal) ? "out " : string.Empty) + name });
                    }
                }

                string call = $"{DerivativeEmitter.Qualified(_method, _spans.Name + suffix)}({DerivativeEmitter.Join(string.Join(", ", arguments), results?.SeedArgument ?? seed ?? string.Empty, string.Join(", ", derivativeArguments), trailing?.Name ?? string.Empty)})";
                var built = new List<string>();
                foreach (KeyValuePair<(FlatParameter Struct, bool Writes), string> s in structDerivatives.Where(d => d.Key.Writes))
                {
                    // Fields without a derivative (ints, bools) are left at their defaults.
                    string value = s.Key.Struct.Template!;
                    for (int i = 0; i < s.Key.Struct.Companions.Count; i++)
                    {
                        string? adjoint = derivatives.FirstOrDefault(d => d.Parameter.Name == s.Key.Struct.Companions[i] && Writes(d.Name)).Name;
                        value = value.Replace("{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", adjoint ?? "default");
                    }

                    built.Add($"{s.Value} = {value};");
                }

                if (packs.Count == 0 && built.Count == 0 && results is null)
                {
                    output.Line(returns ? $"return {call};" : call + ";");
                    return;
                }

                // The call (with the results made first, for a method that returns an array), then what it wrote copied
                // back, the struct adjoints built, and the value returned.
                var body = new CodeBlock();
                string? returned = null;
                if (results is { } made)
                {
                    foreach (string line in made.Prologue)
                    {
                        body.Line(line);
                    }

                    if (made.SizedBy is { } argument)
                    {
                        ArrayResultWrappers.CallSizedBy(body, _method, call + ";", argument.Name, argument.Per);
                    }
                    else
                    {
                        body.Line(call + ";");
                    }

                    returned = made.Value;
                }
                else if (returns)
                {
                    returned = context.Fresh("__value");
                    body.Line($"{returnType} {returned} = {call};");
                }
                else
                {
                    body.Line(call + ";");
                }

                foreach ((string pack, string into) in written)
                {
                    body.Line($"{pack}.CopyTo({into});");
                }

                foreach (string line in built)
                {
                    body.Line(line);
                }

                if (returned is not null)
                {
                    body.Line($"return {returned};");
                }

                if (packs.Count == 0)
                {
                    output.Append(body);
                    return;
                }

                using (output.Block("try"))
                {
                    output.Append(body);
                }

                using (output.Block("finally"))
                {
                    foreach (string pack in packs.Values)
                    {
                        output.Line($"{pack}.Dispose();");
                    }
                }
            }
        }

        /// <summary>The user's arguments in order (a struct by its name, a matrix or jagged array without its counts), the results left out.</summary>
        public string UserArguments()
        {
            var names = new List<string>();
            var fields = new HashSet<string>(_method.Arrays.Where(a => a.Shape == FlatShape.Struct).SelectMany(a => a.Companions));
            foreach (VarInfo p in _method.Parameters)
            {
                if (_method.Arrays.FirstOrDefault(a => a.Shape == FlatShape.Struct && a.Companions.Count > 0 && a.Companions[0] == p.Name) is { } structParameter)
                {
                    names.Add(structParameter.Name);
                }
                else if (!fields.Contains(p.Name) && !_companions.Contains(p.Name) && p.Name != _method.OutputParameter)
                {
                    names.Add(p.Name);
                }
            }

            return string.Join(", ", names);
        }

        // The struct's type, as its template builds it.
        private static string TypeOf(FlatParameter structParameter)
        {
            string template = structParameter.Template!;
            int open = template.IndexOf('(');
            return template.StartsWith("new ", System.StringComparison.Ordinal)
                ? template.Substring(4, open - 4)
                : template.Substring(open + 1, template.IndexOf(')') - open - 1);
        }

        private static string Pack(CodeBlock output, MethodContext context, VarInfo parameter, string name, bool copy)
        {
            string pack = context.Fresh("__" + name.TrimStart('@') + "Packed");
            output.Line($"var {pack} = global::Autodiff.Generated.AutodiffPacked<{TypeClassifier.Keyword(parameter.Kind)}>.Pack({name}, {(copy ? "true" : "false")});");
            return pack;
        }

        // What the span method takes for a parameter (or one of its derivatives): the value itself, or its elements and,
        // for the parameter, its companions.
        private IEnumerable<string> Arguments(VarInfo parameter, string name, Dictionary<string, string> packs, bool companions)
        {
            if (!_flat.TryGetValue(parameter.Name, out FlatParameter? flat))
            {
                yield return name;
                yield break;
            }

            if (flat.Shape == FlatShape.StructArray)
            {
                // The structs' memory as their fields, in place.
                string container = companions ? flat.Paths[0] : "Span";
                string span = container == "array" ? $"(global::System.ReadOnlySpan<{flat.Template}>){name}" : name;
                yield return $"global::System.Runtime.InteropServices.MemoryMarshal.Cast<{flat.Template}, {TypeClassifier.Keyword(parameter.Kind)}>({span})";
                yield break;
            }

            if (flat.Shape == FlatShape.Matrix)
            {
                yield return $"{TypeRefs.Helpers}.Elements({name})";
                if (companions)
                {
                    yield return name + ".GetLength(0)";
                    yield return name + ".GetLength(1)";
                }

                yield break;
            }

            string pack = packs[name];
            yield return pack + ".Elements";
            if (companions)
            {
                yield return pack + ".Count";
                yield return pack + ".Starts";
                if (flat.Shape == FlatShape.JaggedMatrices)
                {
                    yield return pack + ".RowCounts";
                    yield return pack + ".ColumnCounts";
                }
            }
        }

        private static string UserType(ScalarKind kind, FlatParameter flat, string? derivative = null) => flat.Shape switch
        {
            FlatShape.StructArray => (derivative ?? flat.Paths[0]) switch
            {
                "array" => flat.Template + "[]",
                var span => "global::System." + span + "<" + flat.Template + ">",
            },
            FlatShape.Matrix => TypeClassifier.Keyword(kind) + "[,]",
            FlatShape.Jagged => TypeClassifier.Keyword(kind) + "[][]",
            _ => TypeClassifier.Keyword(kind) + "[][,]",
        };
    }
}
