namespace Autodiff.Generator.Helpers;

/// <summary>
/// Fully qualified names of the types generated code refers to, written once (System.Text.Json's generator keeps
/// its <c>...TypeRef</c> constants the same way). <c>global::</c> so that a user type of the same name never binds.
/// </summary>
internal static class TypeRefs
{
    public const string Tensor = "global::Autodiff.Tensor";
    public const string NamedTensor = "global::Autodiff.NamedTensor";
    public const string Optimizer = "global::Autodiff.Optimizers.Optimizer";
    public const string Tape = "global::Autodiff.Generated.AutodiffTape";
    public const string Helpers = "global::Autodiff.Generated.AutodiffHelpers";
    public const string LanesInterface = "global::Autodiff.Generated.IAutodiffLanes";
    public const string NotSupportedException = "global::System.NotSupportedException";

    /// <summary>The body of a derivative whose method could not be differentiated: it compiles, so callers do, and throws if called.</summary>
    public static string StubThrow(string method)
        => "throw new " + NotSupportedException + "(\"Autodiff could not differentiate '" + method + "'; see the AD diagnostics reported on it.\");";
}
