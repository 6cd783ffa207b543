using System;

namespace Autodiff
{
    /// <summary>
    /// Marks a static method in a <c>partial</c> type for differentiation. The Autodiff source generator
    /// emits, beside it, <c>{Name}Gradient</c> (value and gradient), <c>{Name}Vjp</c> (reverse mode scaled by a
    /// seed) and <c>{Name}Jvp</c> (forward mode). Parameters of type <see cref="double"/>, <see cref="float"/>,
    /// arrays and spans of them are differentiable unless marked <see cref="NoDerivativeAttribute"/>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class DifferentiableAttribute : Attribute
    {
    }
}
