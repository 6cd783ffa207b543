using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir.Tensors;

/// <summary>
/// A <c>[Model]</c> class: its trainable members, from which the gradient type, parameter enumeration and fused
/// optimizer step are emitted.
/// </summary>
/// <remarks>
/// Flows through the incremental pipeline: immutable, structural equality, no symbols or syntax (see
/// <see cref="DifferentiableMethod"/>).
/// </remarks>
internal sealed record ModelClass(
    string HintName,
    string Namespace,
    EquatableArray<ContainingType> Types,
    string Name,
    EquatableArray<ModelMember> Members);

/// <summary>
/// A trainable member: a tensor, or a nested model (<see cref="ModelType"/> is its fully qualified name), or a list of
/// nested models when <see cref="Count"/> is set (<c>Length</c> for arrays, <c>Count</c> for lists).
/// </summary>
internal sealed record ModelMember(string Name, bool IsTensor, string? ModelType, string? Count = null);
