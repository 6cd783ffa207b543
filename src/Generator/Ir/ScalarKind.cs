namespace Autodiff.Generator.Ir;

/// <summary>The scalar types a differentiable method may compute with. Only the floating kinds carry derivatives.</summary>
internal enum ScalarKind
{
    Double,
    Float,
    Int,
    Long,
    Bool,

    /// <summary>
    /// Tangents along several directions at once, one per lane: the type parameter <c>__TLanes</c> of a lane JVP
    /// (<see cref="Emit.LaneJacobian"/>), used only for the storage of tangents.
    /// </summary>
    Lanes,
}
