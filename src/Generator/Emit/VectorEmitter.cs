using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The derivatives of a vector-valued method (<c>void F(..., [Output] Span&lt;T&gt; r)</c>, whose body writes a local
/// array the IR calls <see cref="DifferentiableMethod.Output"/>): <c>FVjp</c> with a seed per output, <c>FJvp</c> with a
/// tangent per output, and <c>FJacobian</c>, which takes columns by JVP when there are fewer inputs than outputs and
/// rows by VJP otherwise. The VJP is the reverse mode of the scalar method <c>Σₖ seedₖ rₖ</c> (the method with that
/// sum appended), the JVP the forward mode of the method itself; both copy the values into the caller's span.
/// </summary>
internal static class VectorEmitter
{
    /// <summary>Writes the three methods; returns the lane methods their vector loops call.</summary>
    public static List<CodeBlock> Emit(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        var lanes = new List<CodeBlock>();
        var names = new NameSet(method.Parameters.Concat(method.Locals).Select(v => v.Name));
        string seed = names.Fresh("seed");
        if (EmitVjp(method, vectors, output, seed) is { } vjpLanes)
        {
            lanes.Add(vjpLanes);
        }

        output.Line(string.Empty);
        string resultTangent = EmitJvp(method, vectors, output, analysis);
        output.Line(string.Empty);
        EmitJacobian(method, output, vectors, seed, resultTangent);
        return lanes;
    }

    private static string Keyword(DifferentiableMethod method) => TypeClassifier.Keyword(method.ReturnKind);

    // Σₖ seedₖ valuesₖ appended to the body: its gradient is seedᵀ J.
    private static DifferentiableMethod Seeded(DifferentiableMethod method, string seed)
    {
        ScalarKind kind = method.ReturnKind;
        var names = new NameSet(method.Parameters.Concat(method.Locals).Select(v => v.Name).Append(seed));
        string k = names.Fresh("__k");
        string values = method.Output!;
        var result = Build.Var(kind, method.ResultName);
        var counter = Build.Var(ScalarKind.Int, k);
        const string comment = "the outputs weighted by the seed";
        var body = method.Body.ToList();
        body.Add(new AssignStmt(comment, method.ResultName, null, Build.Lit(0, kind), IsDeclaration: false));
        body.Add(new AssignStmt(comment, k, null, Build.Int(0), IsDeclaration: true));
        body.Add(new LoopStmt(comment, Build.Compare(BinaryOp.Less, counter, new LengthExpr(values)),
            new EquatableArray<Stmt>(new Stmt[] { new AssignStmt(comment, method.ResultName, null, Build.Add(result, Build.Mul(new ElemExpr(kind, seed, counter), new ElemExpr(kind, values, counter))), IsDeclaration: false) }),
            new EquatableArray<Stmt>(new Stmt[] { new AssignStmt(comment, k, null, Build.Offset(counter, 1), IsDeclaration: false) }),
            TestAtEnd: false));
        return method with
        {
            Parameters = method.Parameters.Append(new VarInfo(seed, kind, ShapeKind.ReadOnlySpan, VarRole.Parameter, false)).ToEquatableArray(),
            Locals = method.Locals.Append(new VarInfo(k, ScalarKind.Int, ShapeKind.Scalar, VarRole.Synthetic, false)).ToEquatableArray(),
            Body = body.ToEquatableArray(),
            Output = null,
            OutputParameter = null,
        };
    }

    private static CodeBlock? EmitVjp(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, string seed)
    {
        DifferentiableMethod seeded = Seeded(method, seed);
        var context = new MethodContext(seeded, "d", vectors, MethodAnalysis.Run(seeded));
        var adjoints = DerivativeEmitter.Adjoints(seeded, context).ToList();
        string t = Keyword(method);
        string results = method.OutputParameter!;
        output.Line($"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: writes its results to <paramref name=\"{results}\"/> and the seed times its Jacobian,");
        output.Line($"/// <paramref name=\"{seed}\"/>ᵀ J, to {string.Join(", ", adjoints.Select(a => $"<paramref name=\"{a.Name}\"/>"))} (spans are overwritten).</summary>");
        DerivativeEmitter.WriteAttributes(output, context);
        using (output.Block($"{method.Accessibility} static void {method.Name}Vjp({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), $"global::System.ReadOnlySpan<{t}> {seed}", string.Join(", ", adjoints.Select(a => a.Declaration)))})"))
        {
            if (method.IsStub)
            {
                output.Line(DerivativeEmitter.Stub(method));
                return null;
            }

            output.Line($"if ({seed}.Length != {results}.Length) global::Autodiff.Generated.AutodiffHelpers.ThrowLength(\"{seed}\", \"{results}\", {results}.Length, {seed}.Length);");
            var copy = new CodeBlock();
            copy.Line($"{method.Output}.CopyTo({results});");
            output.Append(AccumulationMerger.Merge(DerivativeEmitter.VjpBody(seeded, context, Build.Lit(1, method.ReturnKind), adjoints, copy, returnsValue: false)));
        }

        return context.LaneMethod;
    }

    // Returns the name of the results' tangent parameter.
    private static string EmitJvp(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        var context = new MethodContext(method, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string t = Keyword(method);
        string results = method.OutputParameter!;
        string resultTangent = context.Fresh("t" + results.TrimStart('@'));
        var tangents = method.Parameters.Where(p => p.Differentiable).Select(p => (
            Declaration: (p.Shape == ShapeKind.Scalar ? TypeClassifier.Keyword(p.Kind) : "global::System.ReadOnlySpan<" + TypeClassifier.Keyword(p.Kind) + ">") + " " + context.Derivative(p.Name),
            Name: context.Derivative(p.Name),
            Parameter: p)).ToList();
        output.Line($"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: writes its results to <paramref name=\"{results}\"/> and their directional derivatives along");
        output.Line($"/// {string.Join(", ", tangents.Select(x => $"<paramref name=\"{x.Name}\"/>"))}, J·v, to <paramref name=\"{resultTangent}\"/>.</summary>");
        DerivativeEmitter.WriteAttributes(output, context);
        using (output.Block($"{method.Accessibility} static void {method.Name}Jvp({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), string.Join(", ", tangents.Select(x => x.Declaration)), $"global::System.Span<{t}> {resultTangent}")})"))
        {
            if (method.IsStub)
            {
                output.Line(DerivativeEmitter.Stub(method));
                return resultTangent;
            }

            DerivativeEmitter.EmitLengthChecks(output, tangents.Select(x => (x.Name, x.Parameter)));
            output.Line($"if ({resultTangent}.Length != {results}.Length) global::Autodiff.Generated.AutodiffHelpers.ThrowLength(\"{resultTangent}\", \"{results}\", {results}.Length, {resultTangent}.Length);");
            CodeBlock forward = new ForwardEmitter(context).EmitSequence(method.Body);
            DerivativeEmitter.DeclareLocals(output, context);
            output.Line(string.Empty);
            output.Line("// ---- the primal, with a tangent beside each active value");
            output.Append(forward);
            output.Line($"{method.Output}.CopyTo({results});");
            output.Line(context.HasDerivative(method.Output!) ? $"{context.Derivative(method.Output!)}.CopyTo({resultTangent});" : $"{resultTangent}.Clear();");
            DerivativeEmitter.EmitCleanup(output, context);
        }

        return resultTangent;
    }

    // The Jacobian, m × n: a column per JVP when there are fewer inputs (n) than outputs (m), else a row per VJP.
    private static void EmitJacobian(DifferentiableMethod method, CodeBlock output, VectorSupport vectors, string seed, string resultTangent)
    {
        var names = new NameSet(method.Parameters.Concat(method.Locals).Select(p => p.Name));
        string jacobian = names.Fresh("jacobian");
        string t = Keyword(method);
        string results = method.OutputParameter!;
        var differentiable = method.Parameters.Where(p => p.Differentiable).ToList();
        string order = string.Join(", ", differentiable.Select(p => p.Shape == ShapeKind.Scalar ? p.Name : p.Name + "[0..]"));
        output.Line($"/// <summary>Writes the results of <see cref=\"{method.Name}\"/> to <paramref name=\"{results}\"/> and its Jacobian to <paramref name=\"{jacobian}\"/>: m × n, row i");
        output.Line($"/// the derivatives of result i with respect to the n differentiable values in the order {order}. Takes one JVP per column when");
        output.Line("/// n &lt; m, else one VJP per row.</summary>");
        output.Line(DerivativeEmitter.GeneratedCode);
        if (vectors.SkipLocalsInit)
        {
            output.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit]");
        }

        using (output.Block($"{method.Accessibility} static void {method.Name}Jacobian({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), t + "[,] " + jacobian)})"))
        {
            if (method.IsStub)
            {
                output.Line(DerivativeEmitter.Stub(method));
                return;
            }

            string m = names.Fresh("__m");
            string n = names.Fresh("__n");
            var offsets = new List<string>();
            string size = "0";
            foreach (VarInfo parameter in differentiable)
            {
                string offset = names.Fresh("__at" + parameter.Name.TrimStart('@'));
                output.Line($"int {offset} = {size};");
                offsets.Add(offset);
                size = parameter.Shape == ShapeKind.Scalar ? $"{offset} + 1" : $"{offset} + {parameter.Name}.Length";
            }

            output.Line($"int {n} = {size};");
            output.Line($"int {m} = {results}.Length;");
            output.Line($"if ({jacobian}.GetLength(0) != {m} || {jacobian}.GetLength(1) != {n}) throw new global::System.ArgumentException(\"'{jacobian}' must be \" + {m} + \" x \" + {n} + \" (a row per result, a column per differentiable value), but is \" + {jacobian}.GetLength(0) + \" x \" + {jacobian}.GetLength(1) + \".\", \"{jacobian}\");");
            string pool = $"{MethodContext.Pool}<{t}>.Shared";
            string arguments = string.Join(", ", method.Parameters.Select(p => p.Name));
            string i = names.Fresh("__i");
            string j = names.Fresh("__j");

            // Every call starts from what the caller's span held, as the method does (it may read a result before writing it).
            string initialBuffer = names.Fresh("__initial");
            string initial = names.Fresh("initial");
            output.Line($"{t}[] {initialBuffer} = {pool}.Rent({m});");
            output.Line($"global::System.Span<{t}> {initial} = new global::System.Span<{t}>({initialBuffer}, 0, {m});");
            output.Line($"((global::System.ReadOnlySpan<{t}>){results}).CopyTo({initial});");

            // Forward: a unit tangent per differentiable value, the column J eⱼ.
            using (output.Block($"if ({n} < {m})"))
            {
                var buffers = new List<(string Buffer, string Keyword)>();
                var tangents = new List<string>();
                for (int p = 0; p < differentiable.Count; p++)
                {
                    VarInfo parameter = differentiable[p];
                    string keyword = TypeClassifier.Keyword(parameter.Kind);
                    string tangent = names.Fresh("t" + parameter.Name.TrimStart('@'));
                    tangents.Add(tangent);
                    if (parameter.Shape == ShapeKind.Scalar)
                    {
                        output.Line($"{keyword} {tangent};");
                        continue;
                    }

                    string buffer = names.Fresh("__" + tangent);
                    buffers.Add((buffer, keyword));
                    output.Line($"{keyword}[] {buffer} = {Pool(keyword)}.Rent({parameter.Name}.Length);");
                    output.Line($"global::System.Span<{keyword}> {tangent} = new global::System.Span<{keyword}>({buffer}, 0, {parameter.Name}.Length);");
                    output.Line($"{tangent}.Clear();");
                }

                string columnBuffer = names.Fresh("__column");
                string column = names.Fresh("column");
                buffers.Add((columnBuffer, t));
                output.Line($"{t}[] {columnBuffer} = {pool}.Rent({m});");
                output.Line($"global::System.Span<{t}> {column} = new global::System.Span<{t}>({columnBuffer}, 0, {m});");
                using (output.Block($"for (int {j} = 0; {j} < {n}; {j}++)"))
                {
                    for (int p = 0; p < differentiable.Count; p++)
                    {
                        VarInfo parameter = differentiable[p];
                        output.Line(parameter.Shape == ShapeKind.Scalar
                            ? $"{tangents[p]} = {j} == {offsets[p]} ? {One(parameter)} : {Zero(parameter)};"
                            : $"if ({j} >= {offsets[p]} && {j} < {offsets[p]} + {parameter.Name}.Length) {tangents[p]}[{j} - {offsets[p]}] = {One(parameter)};");
                    }

                    output.Line($"{initial}.CopyTo({results});");
                    output.Line($"{DerivativeEmitter.Qualified(method, method.Name + "Jvp")}({DerivativeEmitter.Join(arguments, string.Join(", ", tangents), column)});");
                    output.Line($"for (int {i} = 0; {i} < {m}; {i}++) {jacobian}[{i}, {j}] = {column}[{i}];");
                    for (int p = 0; p < differentiable.Count; p++)
                    {
                        VarInfo parameter = differentiable[p];
                        if (parameter.Shape != ShapeKind.Scalar)
                        {
                            output.Line($"if ({j} >= {offsets[p]} && {j} < {offsets[p]} + {parameter.Name}.Length) {tangents[p]}[{j} - {offsets[p]}] = {Zero(parameter)};");
                        }
                    }
                }

                foreach ((string buffer, string keyword) in buffers)
                {
                    output.Line($"{Pool(keyword)}.Return({buffer});");
                }
            }

            // Reverse: a unit seed per result, the row eᵢᵀ J.
            using (output.Block("else"))
            {
                var buffers = new List<(string Buffer, string Keyword)>();
                var adjoints = new List<string>();
                string seedBuffer = names.Fresh("__" + seed);
                string seedSpan = names.Fresh(seed);
                buffers.Add((seedBuffer, t));
                output.Line($"{t}[] {seedBuffer} = {pool}.Rent({m});");
                output.Line($"global::System.Span<{t}> {seedSpan} = new global::System.Span<{t}>({seedBuffer}, 0, {m});");
                output.Line($"{seedSpan}.Clear();");
                for (int p = 0; p < differentiable.Count; p++)
                {
                    VarInfo parameter = differentiable[p];
                    string keyword = TypeClassifier.Keyword(parameter.Kind);
                    string adjoint = names.Fresh("d" + parameter.Name.TrimStart('@'));
                    adjoints.Add(adjoint);
                    if (parameter.Shape == ShapeKind.Scalar)
                    {
                        continue;
                    }

                    string buffer = names.Fresh("__" + adjoint);
                    buffers.Add((buffer, keyword));
                    output.Line($"{keyword}[] {buffer} = {Pool(keyword)}.Rent({parameter.Name}.Length);");
                    output.Line($"global::System.Span<{keyword}> {adjoint} = new global::System.Span<{keyword}>({buffer}, 0, {parameter.Name}.Length);");
                }

                using (output.Block($"for (int {i} = 0; {i} < {m}; {i}++)"))
                {
                    output.Line($"{seedSpan}[{i}] = {Literal.Number(1, method.ReturnKind)};");
                    string outputs = string.Join(", ", differentiable.Select((p, k) => (p.Shape == ShapeKind.Scalar ? $"out {TypeClassifier.Keyword(p.Kind)} " : string.Empty) + adjoints[k]));
                    output.Line($"{initial}.CopyTo({results});");
                    output.Line($"{DerivativeEmitter.Qualified(method, method.Name + "Vjp")}({DerivativeEmitter.Join(arguments, seedSpan, outputs)});");
                    output.Line($"{seedSpan}[{i}] = {Literal.Number(0, method.ReturnKind)};");
                    for (int p = 0; p < differentiable.Count; p++)
                    {
                        VarInfo parameter = differentiable[p];
                        output.Line(parameter.Shape == ShapeKind.Scalar
                            ? $"{jacobian}[{i}, {offsets[p]}] = {Cast(parameter, method)}{adjoints[p]};"
                            : $"for (int {j} = 0; {j} < {parameter.Name}.Length; {j}++) {jacobian}[{i}, {offsets[p]} + {j}] = {Cast(parameter, method)}{adjoints[p]}[{j}];");
                    }
                }

                foreach ((string buffer, string keyword) in buffers)
                {
                    output.Line($"{Pool(keyword)}.Return({buffer});");
                }
            }

            output.Line($"{pool}.Return({initialBuffer});");
        }
    }

    private static string Pool(string keyword) => $"{MethodContext.Pool}<{keyword}>.Shared";

    private static string One(VarInfo parameter) => Literal.Number(1, parameter.Kind);

    private static string Zero(VarInfo parameter) => Literal.Number(0, parameter.Kind);

    // A derivative of a parameter of the other floating type, written into the method's matrix.
    private static string Cast(VarInfo parameter, DifferentiableMethod method)
        => parameter.Kind == method.ReturnKind ? string.Empty : "(" + TypeClassifier.Keyword(method.ReturnKind) + ")";
}
