using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Autodiff.Generator.Helpers;

/// <summary>
/// A diagnostic as an equatable value for the incremental pipeline: the descriptor, where (file, span), and the
/// message arguments as text. A <see cref="Diagnostic"/> compares by reference, so a parse step that carried one
/// would be new after every edit anywhere.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object?[] arguments)
        => new(descriptor, LocationInfo.From(location), arguments.Select(a => System.Convert.ToString(a, CultureInfo.InvariantCulture) ?? string.Empty).ToEquatableArray());

    /// <summary>Whether this is an error (the method then gets stub derivatives).</summary>
    public bool IsError => Descriptor.DefaultSeverity == DiagnosticSeverity.Error;

    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(Descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, Arguments.AsImmutableArray().Cast<object>().ToArray());
}

/// <summary>
/// Where a diagnostic is: the syntax tree and the span. The tree compares by identity (a tree holds no compilation):
/// the location must be in the tree the compiler has, because that is what lets <c>#pragma warning disable</c> and
/// <c>[SuppressMessage]</c> apply (a bare file path does not: dotnet/runtime#92509), and because the driver replays a
/// cached diagnostic as it was: one pointing into a tree the compilation no longer has makes the driver throw. So an
/// edit of the file (a new tree) re-reports its diagnostics, and an edit elsewhere leaves them cached.
/// </summary>
internal sealed record LocationInfo(SyntaxTree Tree, TextSpan Span)
{
    public static LocationInfo? From(Location? location)
        => location?.SourceTree is { } tree ? new LocationInfo(tree, location.SourceSpan) : null;

    public Location ToLocation() => Location.Create(Tree, Span);
}
