using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir;

/// <summary>
/// A call target with a derivative: another <c>[Differentiable]</c> method (its generated VJP/JVP) or a
/// function with a registered custom derivative. One call path serves both.
/// </summary>
/// <param name="Display">Name shown in comments, e.g. <c>Geometry.Norm</c>.</param>
/// <param name="Primal">Fully qualified primal, e.g. <c>global::N.Geometry.Norm</c>.</param>
/// <param name="Vjp">Fully qualified VJP (value, args..., seed, out/Span adjoints).</param>
/// <param name="Jvp">Fully qualified JVP, or <c>null</c> to derive forward mode from the VJP.</param>
/// <param name="Directional">Fully qualified <c>{Name}Directional</c> (its reverse mode is that name + <c>Vjp</c>) of a
/// <c>[Differentiable(SecondOrder = true)]</c> callee, or <c>null</c> when the callee has no second derivatives.</param>
internal sealed record CalleeInfo(
    string Display,
    string Primal,
    string Vjp,
    string? Jvp,
    ScalarKind ReturnKind,
    EquatableArray<CalleeParam> Parameters,
    string? Directional = null)
{
    /// <summary>
    /// The directional derivative as a callee, <c>GDirectional(args..., tangents...)</c> = ∇G·t with a tangent per
    /// differentiable parameter (a span for an array), itself differentiable in both (by <c>GDirectionalVjp</c>); null
    /// when G has no second derivatives.
    /// </summary>
    public CalleeInfo? DirectionalCallee()
    {
        if (Directional is null)
        {
            return null;
        }

        var parameters = new System.Collections.Generic.List<CalleeParam>(Parameters);
        foreach (CalleeParam parameter in Parameters)
        {
            if (parameter.Differentiable)
            {
                parameters.Add(parameter with { Shape = parameter.Shape == ShapeKind.Scalar ? ShapeKind.Scalar : ShapeKind.ReadOnlySpan });
            }
        }

        return new CalleeInfo(Display + "Directional", Directional, Directional + "Vjp", null, ReturnKind, parameters.ToEquatableArray());
    }
}
