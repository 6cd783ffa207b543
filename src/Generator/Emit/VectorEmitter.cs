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
        EmitJvp(method, vectors, output, analysis);
        output.Line(string.Empty);
        EmitJacobian(method, output, vectors, seed);
        if (LaneJacobian.Applies(method, vectors))
        {
            output.Line(string.Empty);
            LaneJacobian.EmitJvp(method, vectors, output, analysis);
            output.Line(string.Empty);
            LaneJacobian.EmitColumns(method, vectors, output);
        }

        return lanes;
    }

    /// <summary>The seed's name and the adjoints of <see cref="EmitVjp"/>, for a method that calls it.</summary>
    internal static (string Seed, List<(string Declaration, string Name, VarInfo Parameter)> Adjoints) VjpNames(DifferentiableMethod method, VectorSupport vectors)
    {
        var names = new NameSet(method.Parameters.Concat(method.Locals).Select(v => v.Name));
        string seed = names.Fresh("seed");
        DifferentiableMethod seeded = Seeded(method, seed);
        var context = new MethodContext(seeded, "d", vectors, MethodAnalysis.Run(seeded));
        return (seed, DerivativeEmitter.Adjoints(seeded, context).ToList());
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
        body.AddRange(Build.CountedLoop(comment, k, new LengthExpr(values),
            new Stmt[] { new AssignStmt(comment, method.ResultName, null, Build.Add(result, Build.Mul(new ElemExpr(kind, seed, counter), new ElemExpr(kind, values, counter))), IsDeclaration: false) }));
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

            DerivativeEmitter.EmitLengthChecks(output, new[] { (seed, OutputParameter(method)) });
            var copy = new CodeBlock();
            copy.Line($"{method.Output}.CopyTo({results});");
            output.Append(AccumulationMerger.Merge(DerivativeEmitter.VjpBody(seeded, context, Build.Lit(1, method.ReturnKind), adjoints, copy, returnsValue: false)));
        }

        return context.LaneMethod;
    }

    private static void EmitJvp(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        var context = new MethodContext(method, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string t = Keyword(method);
        string results = method.OutputParameter!;
        string resultTangent = context.Fresh("t" + results.TrimStart('@'));
        var tangents = DerivativeEmitter.Tangents(method, context);
        output.Line($"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: writes its results to <paramref name=\"{results}\"/> and their directional derivatives along");
        output.Line($"/// {string.Join(", ", tangents.Select(x => $"<paramref name=\"{x.Name}\"/>"))}, J·v, to <paramref name=\"{resultTangent}\"/>.</summary>");
        DerivativeEmitter.WriteAttributes(output, context);
        using (output.Block($"{method.Accessibility} static void {method.Name}Jvp({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), string.Join(", ", tangents.Select(x => x.Declaration)), $"global::System.Span<{t}> {resultTangent}")})"))
        {
            if (method.IsStub)
            {
                output.Line(DerivativeEmitter.Stub(method));
                return;
            }

            EmitForwardBody(output, context, tangents.Select(x => (x.Name, x.Parameter)).Append((resultTangent, OutputParameter(method))), "a tangent beside each active value", resultTangent, tangentInPlace: false);
        }
    }

    /// <summary>
    /// The body of a vector-valued method's forward mode (scalar tangents here, lane vectors in
    /// <see cref="LaneJacobian"/>): the length checks, the primal with its tangents, the results copied out and the
    /// results' tangent written to <paramref name="resultTangent"/> (cleared when the results are constant; copied
    /// from the output's tangent unless the context already writes that in place).
    /// </summary>
    internal static void EmitForwardBody(CodeBlock output, MethodContext context, IEnumerable<(string Name, VarInfo Parameter)> lengthChecks, string beside, string resultTangent, bool tangentInPlace)
    {
        DifferentiableMethod method = context.Method;
        DerivativeEmitter.EmitLengthChecks(output, lengthChecks);
        CodeBlock forward = new ForwardEmitter(context).EmitSequence(method.Body);
        DerivativeEmitter.DeclareLocals(output, context);
        output.Line(string.Empty);
        output.Line("// ---- the primal, with " + beside);
        output.Append(forward);
        output.Line($"{method.Output}.CopyTo({method.OutputParameter});");
        if (!context.HasDerivative(method.Output!))
        {
            output.Line($"{resultTangent}.Clear();");
        }
        else if (!tangentInPlace)
        {
            output.Line($"{context.Derivative(method.Output!)}.CopyTo({resultTangent});");
        }

        DerivativeEmitter.EmitCleanup(output, context);
    }

    private static VarInfo OutputParameter(DifferentiableMethod method) => method.Parameters.First(p => p.Name == method.OutputParameter);

    // The Jacobian, m × n: by columns when there are fewer inputs (n) than outputs (m), or no more sweeps over lane vectors
    // than outputs; else a row per VJP.
    private static void EmitJacobian(DifferentiableMethod method, CodeBlock output, VectorSupport vectors, string seed)
    {
        var names = new NameSet(method.Parameters.Concat(method.Locals).Select(p => p.Name));
        string jacobian = names.Fresh("jacobian");
        string t = Keyword(method);
        string results = method.OutputParameter!;
        var differentiable = method.Parameters.Where(p => p.Differentiable).ToList();
        string order = string.Join(", ", differentiable.Select(p => p.Shape == ShapeKind.Scalar ? p.Name : p.Name + "[0..]"));
        output.Line($"/// <summary>Writes the results of <see cref=\"{method.Name}\"/> to <paramref name=\"{results}\"/> and its Jacobian to <paramref name=\"{jacobian}\"/>: m × n, row i");
        output.Line($"/// the derivatives of result i with respect to the n differentiable values in the order {order}. By columns (forward mode,");
        output.Line("/// several columns per sweep where the machine has vectors) when n &lt; m or when those sweeps are no more than m, else one VJP per row.</summary>");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);

        using (output.Block($"{method.Accessibility} static void {method.Name}Jacobian({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), t + "[,] " + jacobian)})"))
        {
            if (method.IsStub)
            {
                output.Line(DerivativeEmitter.Stub(method));
                return;
            }

            var flat = new FlatValues(output, differentiable, names, out string n);
            string m = names.Fresh("__m");
            output.Line($"int {m} = {results}.Length;");
            output.Line($"if ({jacobian}.GetLength(0) != {m} || {jacobian}.GetLength(1) != {n}) throw new global::System.ArgumentException(\"'{jacobian}' must be \" + {m} + \" x \" + {n} + \" (a row per result, a column per differentiable value), but is \" + {jacobian}.GetLength(0) + \" x \" + {jacobian}.GetLength(1) + \".\", \"{jacobian}\");");
            string arguments = string.Join(", ", method.Parameters.Select(p => p.Name));
            string i = names.Fresh("__i");
            string j = names.Fresh("__j");

            // Every call starts from what the caller's span held, as the method does (it may read a result before writing it).
            string initial = names.Fresh("initial");
            flat.DeclareSpan(output, t, initial, m, clear: false);
            output.Line($"((global::System.ReadOnlySpan<{t}>){results}).CopyTo({initial});");

            // Forward: a unit tangent per differentiable value, the column J eⱼ; several columns per sweep where the
            // machine has lane vectors (LaneJacobian). A sweep over lanes costs about one VJP (0.9 of one, measured by
            // JacobianModeBenchmarks at 16 and 32 columns), so with lanes the columns win while the sweeps, ⌈n / lanes⌉,
            // are no more than the rows; one JVP a column wins while n < m.
            bool lanes = LaneJacobian.Applies(method, vectors);
            string test = $"{n} < {m}";
            if (lanes)
            {
                string count = names.Fresh("__lanes");
                output.Line($"int {count} = {LaneTypes.LaneCount(t)};");
                test = $"{n} < {m} || ({count} > 1 && ({n} + {count} - 1) / {count} <= {m})";
            }

            using (output.Block($"if ({test})"))
            {
                var columns = new CodeBlock();
                int mark = flat.BufferCount;
                List<string> tangents = flat.Declare(columns, differentiable.Select(p => names.Fresh("t" + p.Name.TrimStart('@'))).ToList(), clear: true);
                string column = names.Fresh("column");
                flat.DeclareSpan(columns, t, column, m, clear: false);
                using (columns.Block($"for (int {j} = 0; {j} < {n}; {j}++)"))
                {
                    flat.SetUnit(columns, tangents, j);
                    columns.Line($"{initial}.CopyTo({results});");
                    columns.Line($"{DerivativeEmitter.Qualified(method, method.Name + "Jvp")}({DerivativeEmitter.Join(arguments, string.Join(", ", tangents), column)});");
                    columns.Line($"for (int {i} = 0; {i} < {m}; {i}++) {jacobian}[{i}, {j}] = {column}[{i}];");
                    flat.ClearUnit(columns, tangents, j);
                }

                flat.ReturnBuffers(columns, mark);
                if (lanes)
                {
                    LaneJacobian.Dispatch(method, output, initial, jacobian, columns);
                }
                else
                {
                    output.Append(columns);
                }
            }

            // Reverse: a unit seed per result, the row eᵢᵀ J.
            using (output.Block("else"))
            {
                int mark = flat.BufferCount;
                string seedSpan = names.Fresh(seed);
                flat.DeclareSpan(output, t, seedSpan, m, clear: true);
                List<string> adjoints = flat.Declare(output, differentiable.Select(p => names.Fresh("d" + p.Name.TrimStart('@'))).ToList(), clear: false);
                using (output.Block($"for (int {i} = 0; {i} < {m}; {i}++)"))
                {
                    output.Line($"{seedSpan}[{i}] = {Literal.Number(1, method.ReturnKind)};");
                    output.Line($"{initial}.CopyTo({results});");
                    output.Line($"{DerivativeEmitter.Qualified(method, method.Name + "Vjp")}({DerivativeEmitter.Join(arguments, seedSpan, flat.OutArguments(adjoints))});");
                    output.Line($"{seedSpan}[{i}] = {Literal.Number(0, method.ReturnKind)};");
                    flat.CopyToRow(output, adjoints, jacobian, i, method.ReturnKind);
                }

                flat.ReturnBuffers(output, mark);
            }

            flat.ReturnBuffers(output);
        }
    }
}
