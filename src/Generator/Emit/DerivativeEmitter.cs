using System.Collections.Generic;
using System.Linq;
using System.Text;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Writes the generated file of one method: <c>{Name}Vjp</c> (reverse mode), <c>{Name}Gradient</c> (VJP with
/// seed 1) and <c>{Name}Jvp</c> (forward mode), inside the same partial types.
/// </summary>
internal static class DerivativeEmitter
{
    public const string Version = "0.1.0";
    internal const string GeneratedCode = "[global::System.CodeDom.Compiler.GeneratedCode(\"Autodiff.Generator\", \"" + Version + "\")]";

    public static string Emit(DifferentiableMethod method, VectorSupport vectors)
    {
        var body = new CodeBlock();
        string title = "Derivatives of " + string.Join(".", method.Types.Select(t => t.Name)) + "." + method.Name;
        if (method.InlineOnly)
        {
            // A void helper without an [Output], or a helper that returns a struct from a matrix, a jagged array or a
            // struct: its callers differentiate through its body; nothing of its own.
            return GeneratedFile.Write(GeneratedFile.Preamble(title + " (none: it is differentiated where it is called)", Enumerable.Empty<string>()), method.Namespace, method.Types, body);
        }

        // The analyses run once; the derivatives share them.
        MethodAnalysis analysis = MethodAnalysis.Run(method);

        if (method.Output is not null)
        {
            List<CodeBlock> vectorMethods = method.ArrayResult
                ? method.Result is { Shape: FlatShape.Struct } ? FlatWrappers.EmitStructResult(method, vectors, body, analysis) : FlatWrappers.EmitArrayResult(method, vectors, body, analysis)
                : !method.Arrays.IsEmpty ? FlatWrappers.EmitVectorValued(method, vectors, body, analysis)
                : VectorEmitter.Emit(method, vectors, body, analysis);
            foreach (CodeBlock vectorLanes in vectorMethods)
            {
                body.Line(string.Empty);
                body.Append(vectorLanes);
            }

            return GeneratedFile.Write(GeneratedFile.Preamble(title, method.Usings), method.Namespace, method.Types, body);
        }

        if (!method.Arrays.IsEmpty)
        {
            FlatWrappers.Emit(method, vectors, body, analysis);
            return GeneratedFile.Write(GeneratedFile.Preamble(title, method.Usings), method.Namespace, method.Types, body);
        }

        CodeBlock? lanes = EmitVjp(method, vectors, body, analysis);
        body.Line(string.Empty);
        CodeBlock? gradientLanes = EmitGradient(method, vectors, body, analysis);
        lanes ??= gradientLanes;
        body.Line(string.Empty);
        EmitJvp(method, vectors, body, analysis);
        var allLanes = new List<CodeBlock>();
        if (lanes is not null)
        {
            allLanes.Add(lanes);
        }

        if (method.SecondOrder)
        {
            allLanes.AddRange(SecondOrderEmitter.Emit(method, vectors, body, analysis));
        }

        foreach (CodeBlock laneMethod in allLanes)
        {
            body.Line(string.Empty);
            body.Append(laneMethod);
        }

        return GeneratedFile.Write(GeneratedFile.Preamble(title, method.Usings), method.Namespace, method.Types, body);
    }

    /// <summary>The attributes of every generated method: its generator and version, and <c>[SkipLocalsInit]</c> where the project allows it.</summary>
    internal static void WriteAttributes(CodeBlock output, MethodContext context) => WriteAttributes(output, context.SkipLocalsInit);

    /// <summary>The same attributes for a method written without a <see cref="MethodContext"/> (a Hessian's or Jacobian's frame).</summary>
    internal static void WriteAttributes(CodeBlock output, bool skipLocalsInit)
    {
        output.Line(GeneratedCode);
        if (skipLocalsInit)
        {
            output.Line("[global::System.Runtime.CompilerServices.SkipLocalsInit]");
        }
    }

    internal static string Parameters(DifferentiableMethod method)
        => string.Join(", ", method.Parameters.Select(p => TypeClassifier.TypeText(p.Kind, p.Shape) + " " + p.Name));

    /// <summary>The type of a parameter's tangent: its scalar type, or a read-only span of its element type.</summary>
    internal static string TangentType(VarInfo parameter)
        => parameter.Shape == ShapeKind.Scalar ? TypeClassifier.Keyword(parameter.Kind) : "global::System.ReadOnlySpan<" + TypeClassifier.Keyword(parameter.Kind) + ">";

    // T tx for scalars, ReadOnlySpan<T> tw for arrays: one tangent per differentiable parameter, in order.
    internal static List<(string Declaration, string Name, VarInfo Parameter)> Tangents(DifferentiableMethod method, MethodContext context)
        => method.Parameters.Where(p => p.Differentiable).Select(p => (
            Declaration: TangentType(p) + " " + context.Derivative(p.Name),
            Name: context.Derivative(p.Name),
            Parameter: p)).ToList();

    // out T dx for scalars, Span<T> dw for arrays: one adjoint per differentiable parameter, in order.
    internal static IEnumerable<(string Declaration, string Name, VarInfo Parameter)> Adjoints(DifferentiableMethod method, MethodContext context)
        => method.Parameters.Where(p => p.Differentiable).Select(p => (
            Declaration: (p.Shape == ShapeKind.Scalar ? "out " + TypeClassifier.Keyword(p.Kind) : "global::System.Span<" + TypeClassifier.Keyword(p.Kind) + ">") + " " + context.Derivative(p.Name),
            Name: context.Derivative(p.Name),
            Parameter: p));

    // Returns the lane method when the body has a vectorised loop (the gradient's body calls the same one).
    /// <param name="alsoWrites">A local of the method written to an <c>out</c> parameter of its own after the forward
    /// sweep, with that parameter's documentation (a directional derivative's VJP gives the primal's value so); the
    /// overload without it, which discards it, is written after.</param>
    internal static CodeBlock? EmitVjp(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis,
        (string Local, string Parameter, string Summary)? alsoWrites = null)
    {
        var context = new MethodContext(method, "d", vectors, analysis);
        string t = context.T;
        string seed = context.Fresh("seed");
        var adjoints = Adjoints(method, context).ToList();
        string? extra = alsoWrites is { } written ? context.Fresh(written.Parameter) : null;
        string summary = $"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its value and writes <paramref name=\"{seed}\"/> times its partial derivatives";
        string targets = $"/// to {string.Join(", ", adjoints.Select(a => $"<paramref name=\"{a.Name}\"/>"))} (spans are overwritten)";
        string signature = Join(Parameters(method), $"{t} {seed}", string.Join(", ", adjoints.Select(a => a.Declaration)));
        output.Line(summary);
        output.Line($"{targets}{(extra is null ? "" : $", and to <paramref name=\"{extra}\"/> {alsoWrites!.Value.Summary}")}.</summary>");
        WriteAttributes(output, context);
        CodeBlock? lanes = null;
        using (output.Block($"{method.Accessibility} static {t} {method.Name}Vjp({Join(signature, extra is null ? "" : $"out {t} {extra}")})"))
        {
            if (method.IsStub)
            {
                output.Line(Stub(method));
            }
            else
            {
                CodeBlock? afterForward = extra is null ? null : new CodeBlock().Add(new AssignCode(Build.Var(method.ReturnKind, extra), Build.Var(method.ReturnKind, alsoWrites!.Value.Local)));
                output.Append(AccumulationMerger.Merge(VjpBody(method, context, Build.Var(method.ReturnKind, seed), adjoints, afterForward)));
                lanes = context.LaneMethod;
            }
        }

        if (extra is not null)
        {
            output.Line(string.Empty);
            output.Line(summary);
            output.Line(targets + ".</summary>");
            WriteAttributes(output, context);
            string arguments = string.Join(", ", method.Parameters.Select(p => p.Name).Append(seed).Concat(adjoints.Select(a => (a.Parameter.Shape == ShapeKind.Scalar ? "out " : "") + a.Name)));
            output.Line($"{method.Accessibility} static {t} {method.Name}Vjp({signature})");
            output.Line($"    => {Qualified(method, method.Name + "Vjp")}({arguments}, out _);");
        }

        return lanes;
    }

    internal static CodeBlock VjpBody(DifferentiableMethod method, MethodContext context, Expr seed, List<(string Declaration, string Name, VarInfo Parameter)> adjoints,
        CodeBlock? afterForward = null, bool returnsValue = true)
    {
        string t = context.T;
        var output = new CodeBlock();
        {

            var emitter = new ReverseEmitter(context);
            (CodeBlock forward, CodeBlock reverse) = emitter.EmitBody(method.Body, seed);
            EmitLengthChecks(output, adjoints.Select(a => (a.Name, a.Parameter)));
            foreach ((_, string name, VarInfo parameter) in adjoints.Where(a => !context.WrittenOnce.Contains(a.Name)))
            {
                output.Add(parameter.Shape == ShapeKind.Scalar ? new AssignCode(Build.Var(parameter.Kind, name), Build.Lit(0, parameter.Kind)) : new ClearCode(name));
            }

            // An adjoint the forward sweep does not touch is zeroed where the reverse sweep starts, not at the top: a
            // value live across the forward sweep's calls (Math.Tanh in a recurrence) was kept in memory by the JIT
            // through the reverse loop too, a store and a load on the chain of every iteration (recurrence, 1.13 ->
            // 1.0x the hand-derived gradient, which declares its carry after the forward loop).
            List<VarInfo> late = context.Method.Locals
                .Where(l => l.Shape == ShapeKind.Scalar && context.HasDerivative(l.Name) && !CodeFacts.Mentions(forward, context.Derivative(l.Name)))
                .ToList();
            DeclareLocals(output, context, new HashSet<string>(late.Select(l => l.Name)));
            output.Add(BlankCode.Instance);
            output.Comment("---- forward sweep: the primal, saving what the reverse sweep needs");
            output.Append(forward);
            if (afterForward is not null)
            {
                output.Append(afterForward);
            }

            string? value = returnsValue ? context.Fresh("__value") : null;
            if (value is not null)
            {
                output.Add(new DeclareCode(t, value, Build.Var(method.ReturnKind, method.ResultName)));
            }

            output.Add(BlankCode.Instance);
            output.Comment("---- reverse sweep: adjoints flow from the result back to the parameters");
            foreach (VarInfo local in late)
            {
                output.Add(new AssignCode(Build.Var(local.Kind, context.Derivative(local.Name)), Build.Lit(0, local.Kind)));
            }

            if (context.HasDerivative(method.ResultName))
            {
                output.Add(new AssignCode(Build.Var(method.ReturnKind, context.Derivative(method.ResultName)), seed));
            }

            output.Append(reverse);
            EmitCleanup(output, context);
            if (value is not null)
            {
                output.Line($"return {value};");
            }
        }

        return output;
    }

    internal static CodeBlock? EmitGradient(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        var context = new MethodContext(method, "d", vectors, analysis);
        var adjoints = Adjoints(method, context).ToList();
        string arguments = Join(string.Join(", ", method.Parameters.Select(p => p.Name)), context.Literal(1, method.ReturnKind),
            string.Join(", ", adjoints.Select(a => (a.Parameter.Shape == ShapeKind.Scalar ? "out " : string.Empty) + a.Name)));
        output.Line($"/// <summary>Value and gradient of <see cref=\"{method.Name}\"/>: one adjoint per differentiable parameter, in order (spans are overwritten).</summary>");
        WriteAttributes(output, context);
        string signature = $"{method.Accessibility} static {context.T} {method.Name}Gradient({Join(Parameters(method), string.Join(", ", adjoints.Select(a => a.Declaration)))})";
        bool fused = !method.IsStub && ReverseEmitter.FusedAccumulator(method.Body, context) is not null;
        if (method.IsStub || (!fused && !IsShortStraightLine(method.Body)))
        {
            output.Line(signature);
            output.Line($"    => {method.Name}Vjp({arguments});");
            return null;
        }

        // A fused loop reads the seed every iteration: with the seed written in as 1, the JIT folds those
        // products away (Rosenbrock's loop ran 15% faster than the VJP called with seed 1). A short straight-line
        // body gets the same: calling the VJP left folding the seed to the JIT's inliner, which did not inline it
        // outside BenchmarkDotNet's tiered run (Rosenbrock2Gradient 2.9 ns instead of 2.0).
        using (output.Block(signature))
        {
            output.Line($"// The body of {method.Name}Vjp with the seed 1 written in.");
            output.Append(AccumulationMerger.Merge(VjpBody(method, context, Build.Lit(1, method.ReturnKind), adjoints)));
        }

        return context.LaneMethod;
    }

    /// <summary>Most statements (both branches of an <c>if</c> counted) of a body whose gradient is written out in full.</summary>
    private const int StraightLineLimit = 24;

    /// <summary>No loop, and at most <see cref="StraightLineLimit"/> statements: its body written twice costs little.</summary>
    private static bool IsShortStraightLine(IEnumerable<Stmt> body)
    {
        int count = 0;
        return Walk(body) && count <= StraightLineLimit;

        bool Walk(IEnumerable<Stmt> statements)
        {
            foreach (Stmt statement in statements)
            {
                count++;
                switch (statement)
                {
                    case LoopStmt:
                        return false;
                    case IfStmt branch when !Walk(branch.Then) || !Walk(branch.Else):
                        return false;
                }
            }

            return true;
        }
    }

    internal static void EmitJvp(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        // Forward mode has no vector loops: only the attribute flag is passed on.
        var context = new MethodContext(method, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        string t = context.T;
        var tangents = Tangents(method, context);
        output.Line($"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its value and its directional derivative along the tangents {string.Join(", ", tangents.Select(x => $"<paramref name=\"{x.Name}\"/>"))}.</summary>");
        WriteAttributes(output, context);
        using (output.Block($"{method.Accessibility} static ({t} Value, {t} Tangent) {method.Name}Jvp({Join(Parameters(method), string.Join(", ", tangents.Select(x => x.Declaration)))})"))
        {
            if (method.IsStub)
            {
                output.Line(Stub(method));
                return;
            }

            EmitLengthChecks(output, tangents.Select(x => (x.Name, x.Parameter)));
            CodeBlock forward = new ForwardEmitter(context).EmitSequence(method.Body);
            DeclareLocals(output, context);
            output.Line(string.Empty);
            output.Line("// ---- the primal, with a tangent beside each active value");
            output.Append(forward);
            EmitCleanup(output, context);
            string tangent = context.HasDerivative(method.ResultName) ? context.Derivative(method.ResultName) : context.Zero(method.ReturnKind);
            output.Line($"return ({method.ResultName}, {tangent});");
        }
    }

    internal static void EmitLengthChecks(CodeBlock output, IEnumerable<(string Name, VarInfo Parameter)> derivatives)
    {
        foreach ((string name, VarInfo parameter) in derivatives.Where(d => d.Parameter.Shape != ShapeKind.Scalar))
        {
            // The message is built in a helper that is never inlined: a string concatenation in the method itself
            // made every call pay for its frame (Piecewise at N = 100: 13 ns of 86).
            output.Line($"if ({name}.Length != {parameter.Name}.Length) global::Autodiff.Generated.AutodiffHelpers.ThrowLength(\"{name}\", \"{parameter.Name}\", {parameter.Name}.Length, {name}.Length);");
        }
    }

    // Every local is declared once at the top, so that both sweeps see it whatever the nesting; the adjoints of
    // the locals in lateAdjoints are declared unassigned (the reverse sweep zeroes them where it starts).
    internal static void DeclareLocals(CodeBlock output, MethodContext context, ISet<string>? lateAdjoints = null)
    {
        foreach (VarInfo parameter in context.PassiveParametersMadeActive)
        {
            output.Add(new DeclareCode(TypeClassifier.Keyword(context.TangentKind(parameter.Kind)), context.Derivative(parameter.Name), Build.Lit(0, parameter.Kind)));
        }

        foreach (VarInfo local in context.Method.Locals.Where(l => l.Shape == ShapeKind.Scalar))
        {
            string keyword = TypeClassifier.Keyword(local.Kind);
            output.Add(new DeclareCode(keyword, local.Name, new OpaqueExpr(local.Kind, "default")));
            if (context.HasDerivative(local.Name))
            {
                output.Add(new DeclareCode(TypeClassifier.Keyword(context.TangentKind(local.Kind)), context.Derivative(local.Name), lateAdjoints?.Contains(local.Name) == true ? null : Build.Lit(0, local.Kind)));
            }
        }

        output.Append(context.Declarations);
        foreach (KeyValuePair<ScalarKind, string> tape in context.Tapes.OrderBy(t => t.Key))
        {
            string tapeType = $"{TypeRefs.Tape}<{TypeClassifier.Keyword(tape.Key)}>";
            output.Add(new DeclareCode(tapeType, tape.Value, new OpaqueExpr(tape.Key, $"new {tapeType}(256)")));
        }

        foreach (KeyValuePair<ScalarKind, string> tape in context.ArrayTapes.OrderBy(t => t.Key))
        {
            string tapeType = $"{TypeRefs.Tape}<{TypeClassifier.Keyword(tape.Key)}[]?>";
            output.Add(new DeclareCode(tapeType, tape.Value, new OpaqueExpr(tape.Key, $"new {tapeType}(16)")));
        }
    }

    internal static void EmitCleanup(CodeBlock output, MethodContext context)
    {
        if (context.Cleanup.IsEmpty && context.Tapes.Count == 0 && context.ArrayTapes.Count == 0)
        {
            return;
        }

        output.Comment("give pooled buffers back");
        output.Append(context.Cleanup);
        foreach (KeyValuePair<ScalarKind, string> tape in context.Tapes.Concat(context.ArrayTapes).OrderBy(t => t.Key))
        {
            output.Add(new CallCode(Build.Invoke(tape.Key, tape.Value + ".Dispose")));
        }
    }

    internal static string Stub(DifferentiableMethod method) => TypeRefs.StubThrow(UserName(method));

    /// <summary>The method's name as the user wrote it: <c>F</c> of the span form <c>__FOnSpans</c> too.</summary>
    internal static string UserName(DifferentiableMethod method)
        => method.Name.StartsWith("__", System.StringComparison.Ordinal) && method.Name.EndsWith(OnSpansSuffix, System.StringComparison.Ordinal)
            ? method.Name.Substring(2, method.Name.Length - 2 - OnSpansSuffix.Length)
            : method.Name;

    private const string OnSpansSuffix = "OnSpans";

    /// <summary>
    /// The method under the private name (<c>__FOnSpans</c>) that its derivatives over spans take, for the wrappers whose
    /// public derivatives take the user's shapes (<see cref="FlatWrappers"/>).
    /// </summary>
    internal static DifferentiableMethod OnSpans(DifferentiableMethod method) => method with { Name = "__" + method.Name + OnSpansSuffix, Accessibility = "private" };

    /// <summary>The derivatives over spans after the public ones, under a comment, without their documentation (they are private).</summary>
    internal static void AppendOnSpans(CodeBlock output, CodeBlock work, string comment)
    {
        output.Line(string.Empty);
        output.Comment(comment);
        foreach (Code code in work.Items.Where(c => c is not TextCode { Text: var text } || !text.StartsWith("///", System.StringComparison.Ordinal)))
        {
            output.Add(code);
        }
    }

    /// <summary>
    /// A generated method of the same type by its full name (<c>global::N.T.FHvp</c>), so that a parameter or local named
    /// like it (a method <c>x</c> with a parameter <c>x</c>) cannot hide it.
    /// </summary>
    internal static string Qualified(DifferentiableMethod method, string name)
        => "global::" + (method.Namespace.Length > 0 ? method.Namespace + "." : string.Empty) + string.Join(".", method.Types.Select(t => t.Name)) + "." + name;

    internal static string Join(params string[] parts) => string.Join(", ", parts.Where(p => p.Length > 0));
}
