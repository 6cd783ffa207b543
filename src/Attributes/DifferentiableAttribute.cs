using System;

namespace Autodiff
{
    /// <summary>
    /// Marks a static method in a <c>partial</c> type for differentiation. The Autodiff source generator
    /// emits, beside it, <c>{Name}Gradient</c> (value and gradient), <c>{Name}Vjp</c> (reverse mode scaled by a
    /// seed) and <c>{Name}Jvp</c> (forward mode). Parameters of type <see cref="double"/>, <see cref="float"/>,
    /// arrays and spans of them are differentiable unless marked <see cref="NoDerivativeAttribute"/>. With
    /// <see cref="SecondOrder"/> it adds Hessian-vector products and Hessians.
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

        /// <summary>
        /// Whether the generator also writes second derivatives: <c>{Name}Hvp</c> (a Hessian-vector product by reverse
        /// mode over forward mode, one pass), <c>{Name}Hessian</c> (the full Hessian, one product per column) and
        /// <c>{Name}Directional</c> / <c>{Name}DirectionalVjp</c> (the directional derivative and its reverse mode, which
        /// second-order callers use). Off by default: the code is about three times as long. Every <c>[Differentiable]</c>
        /// method such a method calls must set it too.
        /// </summary>
        public bool SecondOrder { get; set; }
    }
}
