namespace Autodiff.Generator.Ir;

/// <summary>One parameter of a function that a differentiable method calls.</summary>
internal sealed record CalleeParam(ScalarKind Kind, ShapeKind Shape, bool Differentiable);
