using System;

namespace Autodiff
{
    /// <summary>
    /// Marks the parameter a vector-valued <see cref="DifferentiableAttribute"/> method writes its results to: a
    /// <c>Span&lt;double&gt;</c> or <c>Span&lt;float&gt;</c> of a method that returns <c>void</c>. The generator then
    /// emits <c>{Name}Vjp</c> (a seed per output), <c>{Name}Jvp</c> (a tangent per output) and <c>{Name}Jacobian</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
    public sealed class OutputAttribute : Attribute
    {
    }
}
