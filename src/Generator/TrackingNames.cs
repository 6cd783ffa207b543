namespace Autodiff.Generator;

/// <summary>Names of the incremental pipeline's steps, for <c>WithTrackingName</c> and the caching tests.</summary>
internal static class TrackingNames
{
    // Scalar methods: parse, then the IR alone (an equal IR means no re-emit), then the diagnostics.
    public const string Parse = nameof(Parse);
    public const string Ir = nameof(Ir);
    public const string Diagnostics = nameof(Diagnostics);

    // [Model] classes ("model" means the user's network class, never the pipeline's IR) and their methods.
    public const string ModelClass = nameof(ModelClass);
    public const string ModelMethod = nameof(ModelMethod);
    public const string ModelMethodIr = nameof(ModelMethodIr);
    public const string VectorSupport = nameof(VectorSupport);
}
