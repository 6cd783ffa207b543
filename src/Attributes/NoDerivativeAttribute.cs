using System;

namespace Autodiff
{
    /// <summary>
    /// Excludes a floating-point parameter of a <see cref="DifferentiableAttribute"/> method from
    /// differentiation: it gets no adjoint and no tangent, and is treated as a constant.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
    public sealed class NoDerivativeAttribute : Attribute
    {
    }
}
