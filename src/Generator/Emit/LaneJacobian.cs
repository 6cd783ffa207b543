using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Jacobian columns several at a time: forward mode whose tangents are lane vectors (<see cref="LaneTypes"/>), lane k
/// the tangent along the k-th direction, so that one sweep runs the primal once for as many columns as a vector has
/// lanes. The transform is <see cref="ForwardEmitter"/>'s, unchanged: a tangent is linear in the tangents it is made
/// from, and the rules only add tangents, negate them and scale them by primal values, which the lane types do
/// lane by lane (a primal value broadcast). Only the storage of tangents changes type (<see cref="ScalarKind.Lanes"/>).
/// Writes <c>__{Name}JvpLanes&lt;__TLanes&gt;</c> and <c>__{Name}JacobianColumns&lt;__TLanes&gt;</c>, which
/// <c>FJacobian</c> calls with the widest lane type the machine accelerates.
/// </summary>
internal static class LaneJacobian
{
    /// <summary>The type parameter of the lane methods, and the keyword of <see cref="ScalarKind.Lanes"/>.</summary>
    public const string LaneType = "__TLanes";

    /// <summary>
    /// Whether the lane methods are written: the compilation has the lane types, the method may use them, and every
    /// tangent rule of its body is one the lanes compute. Calls of other differentiable methods (their JVPs return one
    /// tangent) and values of a second floating type (a tangent converted between types) keep the column-by-column
    /// Jacobian.
    /// </summary>
    public static bool Applies(DifferentiableMethod method, VectorSupport vectors)
        => vectors.Lanes && method.Vectorize && !method.IsStub && TypeClassifier.IsFloating(method.ReturnKind)
           && method.Parameters.Concat(method.Locals).All(v => !TypeClassifier.IsFloating(v.Kind) || v.Kind == method.ReturnKind)
           && ExprFacts.Flatten(method.Body).All(s => Expressions(s.Statement).All(e => Fits(e, method.ReturnKind)));

    // No call of another differentiable method, and no value of the other floating type (a cast to float in a double
    // method would cast its tangent, a lane vector, too).
    private static bool Fits(Expr expr, ScalarKind kind)
        => expr is not CallExpr && (!TypeClassifier.IsFloating(expr.Kind) || expr.Kind == kind) && ExprFacts.Children(expr).All(e => Fits(e, kind));

    private static IEnumerable<Expr> Expressions(Stmt statement) => statement switch
    {
        AssignStmt a => a.Index is null ? new[] { a.Value } : new[] { a.Value, a.Index },
        ArrayDeclStmt d => new[] { d.Length },
        IfStmt s => new[] { s.Condition },
        LoopStmt l => new[] { l.Condition },
        ReturnStmt r => new[] { r.Value },
        _ => System.Array.Empty<Expr>(),
    };

    private static string Constraint(DifferentiableMethod method)
        => $"where {LaneType} : struct, global::Autodiff.Generated.IAutodiffLanes<{LaneType}, {TypeClassifier.Keyword(method.ReturnKind)}>";

    // "__" + the name as it is: two methods whose names differ only in leading underscores get two names.
    private static string JvpName(DifferentiableMethod method) => "__" + method.Name + "JvpLanes";

    private static string ColumnsName(DifferentiableMethod method) => "__" + method.Name + "JacobianColumns";

    /// <summary>
    /// The JVP over lanes: writes the results to the output span and, lane by lane, their directional derivatives
    /// along the lanes of the tangents.
    /// </summary>
    public static void EmitJvp(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        var context = new MethodContext(method, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis) { TangentLanes = true, FusedTangents = vectors.Net9Math };
        string results = method.OutputParameter!;
        string resultTangent = context.Fresh("t" + results.TrimStart('@'));
        if (context.HasDerivative(method.Output!))
        {
            context.TangentInPlace(resultTangent);
        }

        var tangents = method.Parameters.Where(p => p.Differentiable).Select(p => (
            Declaration: (p.Shape == ShapeKind.Scalar ? LaneType : $"global::System.ReadOnlySpan<{LaneType}>") + " " + context.Derivative(p.Name),
            Name: context.Derivative(p.Name),
            Parameter: p)).ToList();
        output.Line($"// Forward mode of {method.Name} along as many directions at once as {LaneType} has lanes: lane k of each tangent is the");
        output.Line("// tangent along direction k.");
        DerivativeEmitter.WriteAttributes(output, context);
        output.Line($"private static void {JvpName(method)}<{LaneType}>({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), string.Join(", ", tangents.Select(x => x.Declaration)), $"global::System.Span<{LaneType}> {resultTangent}")})");
        using (output.Block("    " + Constraint(method)))
        {
            VectorEmitter.EmitForwardBody(output, context, tangents.Select(x => (x.Name, x.Parameter)), "a lane vector of tangents beside each active value", resultTangent, tangentInPlace: true);
        }
    }

    /// <summary>
    /// The columns of the Jacobian, <c>__TLanes.Count</c> per sweep of <see cref="EmitJvp"/>: the tangents are the unit
    /// vectors of the columns j₀ .. j₀ + Count - 1, one per lane. Every sweep starts from <c>initial</c> in the output
    /// span, as the method itself does.
    /// </summary>
    public static void EmitColumns(DifferentiableMethod method, VectorSupport vectors, CodeBlock output)
    {
        var names = new NameSet(method.Parameters.Concat(method.Locals).Select(p => p.Name));
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string results = method.OutputParameter!;
        string initial = names.Fresh("initial");
        string jacobian = names.Fresh("jacobian");
        var differentiable = method.Parameters.Where(p => p.Differentiable).ToList();
        output.Line($"// The Jacobian of {method.Name} by columns, {LaneType}.Count of them per forward sweep.");
        DerivativeEmitter.WriteAttributes(output, vectors.SkipLocalsInit);
        output.Line($"private static void {ColumnsName(method)}<{LaneType}>({DerivativeEmitter.Join(DerivativeEmitter.Parameters(method), $"global::System.ReadOnlySpan<{t}> {initial}", t + "[,] " + jacobian)})");
        using (output.Block("    " + Constraint(method)))
        {
            var flat = new FlatValues(output, differentiable, names, out string n);
            string m = names.Fresh("__m");
            string lanes = names.Fresh("__lanes");
            string start = names.Fresh("__j0");
            string width = names.Fresh("__width");
            string i = names.Fresh("__i");
            string k = names.Fresh("__k");
            output.Line($"int {m} = {results}.Length;");
            output.Line($"int {lanes} = {LaneType}.Count;");
            string elements = names.Fresh("__elements");
            output.Line($"global::System.Span<{t}> {elements} = global::Autodiff.Generated.AutodiffHelpers.Elements({jacobian});");
            List<string> tangents = flat.Declare(output, differentiable.Select(p => names.Fresh("t" + p.Name.TrimStart('@'))).ToList(), clear: true, LaneType);
            string column = names.Fresh("column");
            flat.DeclareSpan(output, LaneType, column, m, clear: false);
            string scratch = names.Fresh("scratch");
            flat.DeclareSpan(output, t, scratch, $"{m} * {lanes}", clear: false);
            using (output.Block($"for (int {start} = 0; {start} < {n}; {start} += {lanes})"))
            {
                flat.SetLanes(output, tangents, start, lanes, LaneType);
                output.Line($"{initial}.CopyTo({results});");
                string arguments = string.Join(", ", method.Parameters.Select(p => p.Name));
                output.Line($"{JvpName(method)}<{LaneType}>({DerivativeEmitter.Join(arguments, string.Join(", ", tangents), column)});");
                // Lane k of result i is J[i, j₀ + k]: a whole vector stored into row i where the chunk is full.
                output.Line($"int {width} = global::System.Math.Min({lanes}, {n} - {start});");
                using (output.Block($"if ({width} == {lanes})"))
                {
                    output.Line($"for (int {i} = 0; {i} < {m}; {i}++) {LaneType}.Store({elements}, {i} * {n} + {start}, {column}[{i}]);");
                }

                // The last, partial chunk: whole vectors to a scratch block first, then the lanes in use copied (reading a
                // lane straight from a vector just made stalls on its store, about as long as the whole sweep).
                using (output.Block("else"))
                {
                    output.Line($"for (int {i} = 0; {i} < {m}; {i}++) {LaneType}.Store({scratch}, {i} * {lanes}, {column}[{i}]);");
                    output.Line($"for (int {i} = 0; {i} < {m}; {i}++)");
                    output.Line($"    for (int {k} = 0; {k} < {width}; {k}++) {elements}[{i} * {n} + {start} + {k}] = {scratch}[{i} * {lanes} + {k}];");
                }

                flat.ClearLanes(output, tangents, start, lanes);
            }

            flat.ReturnBuffers(output);
        }
    }

    /// <summary>
    /// The call of <see cref="EmitColumns"/> with the widest lane type the machine accelerates, or, where none is,
    /// <paramref name="fallback"/> (the Jacobian column by column).
    /// </summary>
    public static void Dispatch(DifferentiableMethod method, CodeBlock output, string initial, string jacobian, CodeBlock fallback)
    {
        // Lanes in pairs (two vectors a lane type, one sweep for twice the columns) measured 2.4x slower on the
        // hand-tracking Jacobian: the JIT keeps such a struct in memory.
        string t = TypeClassifier.Keyword(method.ReturnKind);
        string arguments = DerivativeEmitter.Join(string.Join(", ", method.Parameters.Select(p => p.Name)), initial, jacobian);
        string keyword = "if";
        foreach (LaneWidth width in LaneTypes.Widths)
        {
            output.Line($"{keyword} ({width.Test})");
            output.Line($"    {ColumnsName(method)}<{width.Struct}<{t}>>({arguments});");
            keyword = "else if";
        }

        using (output.Block("else"))
        {
            output.Append(fallback);
        }
    }
}
