namespace Autodiff.Generator.Ir;

/// <summary>The scalar types a differentiable method may compute with. Only the floating kinds carry derivatives.</summary>
internal enum ScalarKind
{
    Double,
    Float,
    Int,
    Long,
    Bool,
}
