namespace Autodiff.Generator;

/// <summary>Names of the incremental pipeline's steps, for <c>WithTrackingName</c> and the caching tests.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Model = nameof(Model);
    public const string Diagnostics = nameof(Diagnostics);
}
