using System;

namespace Autodiff
{
    /// <summary>
    /// Marks a <c>partial class</c> as a model: its instance <c>Tensor</c> fields and properties are its trainable
    /// parameters (unless <see cref="NoDerivativeAttribute"/>), and fields whose type is another model are layers.
    /// The generator adds a nested <c>Gradient</c> class with the same structure (like Swift's <c>TangentVector</c> or
    /// a JAX pytree), <c>Parameters()</c> with dotted names, and a fused optimizer <c>Step</c>; each
    /// <see cref="DifferentiableAttribute"/> instance method gets <c>{Name}Gradient</c>, <c>{Name}Record</c> and
    /// <c>{Name}Backward</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class ModelAttribute : Attribute
    {
    }
}
