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
/// <param name="Arrays">The parameters of shapes the IR holds flat (<c>T[,]</c>, <c>T[][]</c>, <c>T[][,]</c>): in the IR, and in
/// the private generated methods that do the work, each is a read-only span of its elements in order, with int
/// parameters after it that say where they are (see <see cref="FlatParameter"/>); the public derivatives take and give
/// the user's shapes and call those.</param>
/// <param name="ArrayResult">A method that returns a <c>T[]</c>, differentiated as a vector-valued method: its
/// <see cref="OutputParameter"/> is a span of the IR's own (last), which the public derivatives pass the array the method
/// returns.</param>
/// <param name="Result">For an <see cref="ArrayResult"/> method that returns a struct of reals: its type
/// (<see cref="FlatParameter.Name"/>), how it is built from the results and the paths that read them; for one that
/// returns a <c>T[,]</c>, a <see cref="FlatShape.Matrix"/> entry; null for a <c>T[]</c>.</param>
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
    EquatableArray<FlatParameter> Arrays = default,
    bool ArrayResult = false,
    FlatParameter? Result = null);

/// <summary>How a parameter of the user's signature is held flat in the IR.</summary>
internal enum FlatShape
{
    /// <summary><c>T[,]</c>: the elements row by row; then its row count and column count (ints).</summary>
    Matrix,

    /// <summary><c>T[][]</c>: the rows one after another; then the row count (an int) and where each row starts (count + 1 ints).</summary>
    Jagged,

    /// <summary><c>T[][,]</c>: the matrices one after another; then their count, where each starts, and each one's row and column counts.</summary>
    JaggedMatrices,

    /// <summary>A user struct of reals: one scalar parameter per field (the companions), nested structs' fields in turn.</summary>
    Struct,

    /// <summary><c>S[]</c>, <c>Span&lt;S&gt;</c> or <c>ReadOnlySpan&lt;S&gt;</c> of a struct whose fields are all of one kind:
    /// the span parameter of that kind holds the elements' fields in order (the struct's own memory, viewed in place);
    /// <see cref="FlatParameter.Template"/> is the struct's type and the one path the container (array, Span, ReadOnlySpan).</summary>
    StructArray,
}

/// <summary>
/// A parameter held flat: the span parameter named like the user's, and the parameters after it that describe it, in
/// order; for a struct, no parameter of its name, its fields' parameters as the companions, the member paths they read
/// (<c>A.X</c>) and how a value is built from them (<c>default(S) with { X = {0}, ... }</c>).
/// </summary>
internal sealed record FlatParameter(string Name, FlatShape Shape, EquatableArray<string> Companions, string? Template = null, EquatableArray<string> Paths = default);
