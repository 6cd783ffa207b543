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
        /// <summary>
        /// Whether the generator may run a final accumulation loop of straight-line arithmetic on whole vectors of
        /// iterations (<c>Vector512/256/128</c>, the widest the machine accelerates) in the reverse mode. On by default;
        /// the value may then differ from the primal's in the last bits (the lanes' partial sums are added in another
        /// order). Set it to false for the scalar loop.
        /// </summary>
        public bool Vectorize { get; set; } = true;
    }
}
