using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir;

/// <summary>
/// Output of a parse step: the IR (null when the declaration is not one the generator handles, or a tensor
/// function, which only has diagnostics) and the body's diagnostics. Only <see cref="Value"/> flows on to emission;
/// the diagnostics go out on their own path and are located in the compilation's trees there.
/// </summary>
internal sealed record ParseResult<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics)
    where T : class
{
    public static readonly ParseResult<T> None = new(null, EquatableArray<DiagnosticInfo>.Empty);
}
