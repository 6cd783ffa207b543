using System;

namespace Autodiff
{
    /// <summary>
    /// Ties a hand-written derivative to a function you own, so that <see cref="DifferentiableAttribute"/>
    /// methods can call it. The generator does not look into the function's body.
    /// </summary>
    /// <remarks>
    /// For <c>static double F(double x, double[] w)</c> the VJP named by <see cref="Vjp"/> must live in the
    /// same type and have the shape of a generated VJP:
    /// <c>static double FVjp(double x, double[] w, double seed, out double dx, Span&lt;double&gt; dw)</c>
    /// (returns the value; adjoints scaled by <c>seed</c>; spans overwritten).
    /// The optional <see cref="Jvp"/> has the shape
    /// <c>static (double Value, double Tangent) FJvp(double x, double[] w, double tx, ReadOnlySpan&lt;double&gt; tw)</c>;
    /// without it, forward mode is derived from the VJP.
    /// </remarks>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class CustomDerivativeAttribute : Attribute
    {
        /// <summary>Registers <paramref name="vjp"/> (a method of the same type) as the function's VJP.</summary>
        public CustomDerivativeAttribute(string vjp)
        {
            Vjp = vjp;
        }

        /// <summary>Name of the VJP method in the same type.</summary>
        public string Vjp { get; }

        /// <summary>Optional name of a JVP method in the same type.</summary>
        public string? Jvp { get; set; }

        /// <summary>Optional, for tensor functions: the VJP's tangent, for Hessian-vector products (see <see cref="RegisterDerivativeAttribute.VjpTangent"/>).</summary>
        public string? VjpTangent { get; set; }

        /// <summary>Optional, for tensor functions: an overload with a trailing destination tensor (see <see cref="RegisterDerivativeAttribute.Into"/>).</summary>
        public string? Into { get; set; }
    }
}
