using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// The analyses of one method, computed once and handed to every transform that emits its derivatives (the VJP,
/// the gradient and the JVP): activity (varied and useful), recompute-instead-of-store, and to-be-recorded.
/// </summary>
internal sealed class MethodAnalysis
{
    private MethodAnalysis(ActivityAnalysis activity, Recomputation recomputation, ReverseNeeds needs)
        => (Activity, Recomputation, Needs) = (activity, recomputation, needs);

    public ActivityAnalysis Activity { get; }

    public Recomputation Recomputation { get; }

    public ReverseNeeds Needs { get; }

    public static MethodAnalysis Run(DifferentiableMethod method)
    {
        ActivityAnalysis activity = ActivityAnalysis.Run(method);
        Recomputation recomputation = Recomputation.Run(method);
        return new MethodAnalysis(activity, recomputation, ReverseNeeds.Run(method, activity, recomputation));
    }
}
