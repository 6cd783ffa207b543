namespace Autodiff.Generator;

/// <summary>Names of the incremental pipeline's steps, for <c>WithTrackingName</c> and the caching tests.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Model = nameof(Model);
    public const string Diagnostics = nameof(Diagnostics);
    public const string ModelClass = nameof(ModelClass);
    public const string ModelMethod = nameof(ModelMethod);
    public const string ModelMethodModel = nameof(ModelMethodModel);
    public const string VectorSupport = nameof(VectorSupport);
}
