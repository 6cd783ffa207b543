namespace Autodiff.Generator;

/// <summary>Names of the incremental pipeline's steps, for <c>WithTrackingName</c> and the caching tests.</summary>
internal static class TrackingNames
{
    // DifferentiableGenerator (static methods): parse, then the IR alone (an equal IR means no re-emit), the diagnostics,
    // and what the compilation offers for vector loops.
    public const string Parse = nameof(Parse);
    public const string Ir = nameof(Ir);
    public const string Diagnostics = nameof(Diagnostics);

    public const string VectorSupport = nameof(VectorSupport);

    // ModelGenerator: [Model] classes ("model" means the user's network class, never the pipeline's IR) and their
    // methods' parse, IR and diagnostics.
    public const string ModelClass = nameof(ModelClass);
    public const string ModelMethod = nameof(ModelMethod);
    public const string ModelMethodIr = nameof(ModelMethodIr);
    public const string ModelMethodDiagnostics = nameof(ModelMethodDiagnostics);
}
