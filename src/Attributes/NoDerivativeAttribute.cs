using System;

namespace Autodiff
{
    /// <summary>
    /// Excludes a floating-point parameter of a <see cref="DifferentiableAttribute"/> method from
    /// differentiation: it gets no adjoint and no tangent, and is treated as a constant. On a tensor field of a
    /// <see cref="ModelAttribute"/> class it marks a frozen (non-trainable) tensor.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
    public sealed class NoDerivativeAttribute : Attribute
    {
    }
}
