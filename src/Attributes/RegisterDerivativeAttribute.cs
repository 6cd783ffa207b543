using System;

namespace Autodiff
{
    /// <summary>
    /// Registers a hand-written derivative for a function you cannot annotate (for example one in another
    /// assembly). Put it on the assembly:
    /// <code>[assembly: RegisterDerivative(typeof(ThirdParty.Special), nameof(ThirdParty.Special.Erf), typeof(MyDerivatives), nameof(MyDerivatives.ErfVjp))]</code>
    /// The VJP (and optional JVP) has the shapes described on <see cref="CustomDerivativeAttribute"/>.
    /// Registrations in referenced assemblies apply too, so a library can ship derivatives for another one.
    /// </summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true, Inherited = false)]
    public sealed class RegisterDerivativeAttribute : Attribute
    {
        /// <summary>Registers <paramref name="derivatives"/>.<paramref name="vjp"/> as the VJP of <paramref name="target"/>.<paramref name="method"/>.</summary>
        public RegisterDerivativeAttribute(Type target, string method, Type derivatives, string vjp)
        {
            Target = target;
            Method = method;
            Derivatives = derivatives;
            Vjp = vjp;
        }

        /// <summary>The type that declares the function.</summary>
        public Type Target { get; }

        /// <summary>The function's name (all overloads whose VJP shape matches are covered).</summary>
        public string Method { get; }

        /// <summary>The type that declares the derivative methods.</summary>
        public Type Derivatives { get; }

        /// <summary>Name of the VJP method in <see cref="Derivatives"/>.</summary>
        public string Vjp { get; }

        /// <summary>Optional name of a JVP method in <see cref="Derivatives"/>.</summary>
        public string? Jvp { get; set; }

        /// <summary>
        /// Optional, for tensor functions: name of the VJP's tangent in <see cref="Derivatives"/> (forward mode of the
        /// VJP), which Hessian-vector products of model methods (<c>{Method}Hvp</c>) need. For a VJP
        /// <c>FVjp(a, b, y, dy, da, db)</c> it is <c>FVjpTangent(a, b, y, dy, ta, tb, tdy, tda, tdb)</c>: the VJP's own
        /// parameters up to <c>dy</c>, then a tangent per tensor parameter, the tangent of <c>dy</c>, and where to add
        /// the tangent of each tensor parameter's adjoint.
        /// </summary>
        public string? VjpTangent { get; set; }

        /// <summary>
        /// Optional, for tensor functions: name of an overload in <see cref="Target"/> that takes the same
        /// parameters plus a trailing destination tensor and writes its result there when it is large enough.
        /// Generated training code calls it so that every step reuses the same buffers.
        /// </summary>
        public string? Into { get; set; }
    }
}
