using System.Collections.Generic;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// The analyses of one method, computed once and handed to every transform that emits its derivatives (the VJP,
/// the gradient and the JVP): activity (varied and useful), recompute-or-store, and to-be-recorded with the
/// counted and selection loops it finds.
/// </summary>
internal sealed class MethodAnalysis
{
    private MethodAnalysis(ActivityAnalysis activity, Recomputation recomputation, ReverseNeeds needs, Dictionary<string, int> assignmentCounts)
        => (Activity, Recomputation, Needs, AssignmentCounts) = (activity, recomputation, needs, assignmentCounts);

    public ActivityAnalysis Activity { get; }

    public Recomputation Recomputation { get; }

    public ReverseNeeds Needs { get; }

    /// <summary>How many assignments each variable (or array, counting element writes) has in the body.</summary>
    public Dictionary<string, int> AssignmentCounts { get; }

    public static MethodAnalysis Run(DifferentiableMethod method)
    {
        ActivityAnalysis activity = ActivityAnalysis.Run(method);
        Dictionary<string, int> assignmentCounts = ExprFacts.AssignmentCounts(method.Body);
        Recomputation recomputation = Recomputation.Run(method, assignmentCounts);
        return new MethodAnalysis(activity, recomputation, ReverseNeeds.Run(method, activity, recomputation), assignmentCounts);
    }
}
