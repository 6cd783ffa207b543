using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir;

/// <summary>
/// Everything the emitter needs to write the derivatives of one <c>[Differentiable]</c> method.
/// </summary>
/// <remarks>
/// Instances of this type flow through the incremental pipeline, so it must be immutable and implement
/// structural equality: it holds only strings, enums, records and <see cref="EquatableArray{T}"/>, never an
/// <c>ISymbol</c>, <c>SyntaxNode</c>, <c>IOperation</c> or <c>Location</c>. Otherwise we risk breaking
/// incremental caching (an unrelated edit would regenerate every method).
/// </remarks>
/// <param name="HintName">Unique file name of the generated source.</param>
/// <param name="Namespace">Containing namespace, empty for the global namespace.</param>
/// <param name="Types">Containing types, outermost first.</param>
/// <param name="Name">The method's name.</param>
/// <param name="Accessibility">C# accessibility keywords of the method (kept by the generated ones).</param>
/// <param name="ReturnKind">Double or Float.</param>
/// <param name="Parameters">Parameters in declaration order.</param>
/// <param name="Locals">Every local and synthetic variable of the body, unique names.</param>
/// <param name="Body">The lowered body (no break, continue or return; the result is in <see cref="ResultName"/>).</param>
/// <param name="ResultName">Variable that holds the returned value.</param>
/// <param name="IsStub">The body could not be differentiated: emit throwing stubs so that callers still compile.</param>
/// <param name="Vectorize"><c>[Differentiable(Vectorize = false)]</c> was not given: loops may run on vectors of lanes.</param>
/// <param name="Output">A vector-valued method's results: the local array the body writes (its <c>[Output]</c> span's
/// values), declared first; null for a method that returns a scalar.</param>
/// <param name="OutputParameter">The <c>[Output]</c> parameter itself (read only for its length), or null.</param>
/// <param name="Usings">The using directives of the files whose guards the body copies as written (empty without guards).</param>
/// <param name="InlineOnly">A <c>void</c> helper without an <c>[Output]</c>: parsed for its diagnostics, differentiated only
/// where it is called (inlined), nothing generated for it.</param>
/// <param name="Matrices">The <c>T[,]</c> parameters: in the IR (and the private generated methods that do the work) each
/// is a read-only span of its elements row by row, with its row and column counts as two <c>int</c> parameters after
/// it; the public derivatives take and give <c>T[,]</c> and call those.</param>
/// <param name="SecondOrder"><c>[Differentiable(SecondOrder = true)]</c>: the Hessian-vector product and the Hessian are generated too.</param>
internal sealed record DifferentiableMethod(
    string HintName,
    string Namespace,
    EquatableArray<ContainingType> Types,
    string Name,
    string Accessibility,
    ScalarKind ReturnKind,
    EquatableArray<VarInfo> Parameters,
    EquatableArray<VarInfo> Locals,
    EquatableArray<Stmt> Body,
    string ResultName,
    bool IsStub,
    bool Vectorize = true,
    bool SecondOrder = false,
    string? Output = null,
    string? OutputParameter = null,
    bool InlineOnly = false,
    EquatableArray<string> Usings = default,
    EquatableArray<MatrixParameter> Matrices = default);

/// <summary>A <c>T[,]</c> parameter of the user's signature: the span parameter that holds its elements row by row, and
/// the <c>int</c> parameters that hold its row and column counts.</summary>
internal sealed record MatrixParameter(string Name, string Rows, string Columns);
