using System;

namespace Autodiff.Generator.Ir;

/// <summary>A parameter or local of a differentiable method.</summary>
/// <param name="Name">Identifier used in generated code (unique within the method).</param>
/// <param name="Kind">Scalar type, or element type for arrays and spans.</param>
/// <param name="Shape">Scalar, array or span.</param>
/// <param name="Role">Parameter, user local or synthetic.</param>
/// <param name="Differentiable">For parameters: gets an adjoint and a tangent (floating and not <c>[NoDerivative]</c>).</param>
/// <param name="Heap">A local array passed where a <c>T[]</c> is expected: generated code allocates it, as the method
/// does, instead of taking a span over a pooled buffer (which cannot be passed as an array, and may be longer).</param>
internal sealed record VarInfo(string Name, ScalarKind Kind, ShapeKind Shape, VarRole Role, bool Differentiable, bool Heap = false)
{
    public bool IsFloating => Kind is ScalarKind.Double or ScalarKind.Float;

    public bool IsIndexable => Shape != ShapeKind.Scalar;
}
