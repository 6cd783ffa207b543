using System.Collections.Generic;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Analysis;

/// <summary>
/// The analyses of one method, computed once and handed to every transform that emits its derivatives (the VJP,
/// the gradient and the JVP): activity (varied and useful), recompute-or-store, to-be-recorded with the counted and
/// selection loops it finds, and the loops the reverse sweep re-runs forwards, and the calls that reuse another call's value.
/// </summary>
internal sealed class MethodAnalysis
{
    private MethodAnalysis(ActivityAnalysis activity, Recomputation recomputation, ReverseNeeds needs, LoopReruns reruns, Dictionary<string, int> assignmentCounts, PairedCalls pairs)
        => (Activity, Recomputation, Needs, Reruns, AssignmentCounts, Pairs) = (activity, recomputation, needs, reruns, assignmentCounts, pairs);

    public ActivityAnalysis Activity { get; }

    public Recomputation Recomputation { get; }

    public ReverseNeeds Needs { get; }

    /// <summary>The loops whose reverse sweep runs them again forwards (see <see cref="LoopReruns"/>).</summary>
    public LoopReruns Reruns { get; }

    /// <summary>How many assignments each variable (or array, counting element writes) has in the body.</summary>
    public Dictionary<string, int> AssignmentCounts { get; }

    /// <summary>The calls of a second-order method that reuse its directional call's value (see <see cref="PairedCalls"/>).</summary>
    public PairedCalls Pairs { get; }

    public static MethodAnalysis Run(DifferentiableMethod method)
    {
        ActivityAnalysis activity = ActivityAnalysis.Run(method);
        Dictionary<string, int> assignmentCounts = ExprFacts.AssignmentCounts(method.Body);
        Recomputation recomputation = Recomputation.Run(method, assignmentCounts);
        ReverseNeeds needs = ReverseNeeds.Run(method, activity, recomputation);

        // A loop run again reads, in the reverse sweep, everything its primal reads: run the analysis again knowing that.
        LoopReruns reruns = LoopReruns.Run(method, activity, recomputation, needs);
        if (!reruns.IsEmpty)
        {
            needs = ReverseNeeds.Run(method, activity, recomputation, reruns);
        }

        return new MethodAnalysis(activity, recomputation, needs, reruns, assignmentCounts, PairedCalls.Run(method.Body));
    }
}
