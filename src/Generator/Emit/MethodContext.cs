using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Per-method state shared by the sweeps of one generated method: names (adjoints <c>d</c>-prefixed, tangents
/// <c>t</c>-prefixed, helpers <c>__</c>-prefixed, all fresh), the hoisted declarations, the tapes in use and the
/// pooled buffers to give back at the end.
/// </summary>
internal sealed class MethodContext
{
    public const string Pool = "global::System.Buffers.ArrayPool";

    private readonly NameSet _names;
    private readonly Dictionary<string, string> _derivativeNames = new();
    private readonly Dictionary<ScalarKind, string> _tapes = new();
    private int _temps;

    public MethodContext(DifferentiableMethod method, string prefix, VectorSupport vectors = default, MethodAnalysis? analysis = null)
    {
        Method = method;
        Vectors = method.Vectorize ? vectors : VectorSupport.None;
        SkipLocalsInit = vectors.SkipLocalsInit;
        analysis ??= MethodAnalysis.Run(method);
        Activity = analysis.Activity;
        Recomputation = analysis.Recomputation;
        Needs = analysis.Needs;
        Reruns = analysis.Reruns;
        AssignmentCounts = analysis.AssignmentCounts;
        Pairs = analysis.Pairs;
        Variables = method.Parameters.Concat(method.Locals).ToDictionary(v => v.Name);
        _names = new NameSet(Variables.Keys);
        Prefix = prefix;
        // A [NoDerivative] (or int) scalar parameter that the body overwrites with an active value carries a derivative
        // from there on, like a local: it gets one, declared in the body (see PassiveParametersMadeActive).
        foreach (VarInfo variable in method.Parameters.Where(p => p.Differentiable || IsParameterMadeActive(p)).Concat(method.Locals.Where(l => Activity.IsActive(l.Name))))
        {
            string stem = variable.Name == method.ResultName ? "result" : variable.Name.TrimStart('@');
            _derivativeNames[variable.Name] = _names.Fresh(prefix + stem);
        }
    }

    public DifferentiableMethod Method { get; }

    /// <summary>Scalar parameters that carry no derivative in but are overwritten with active values in the body.</summary>
    public IEnumerable<VarInfo> PassiveParametersMadeActive => Method.Parameters.Where(IsParameterMadeActive);

    private bool IsParameterMadeActive(VarInfo parameter)
        => !parameter.Differentiable && parameter.Shape == ShapeKind.Scalar && TypeClassifier.IsFloating(parameter.Kind) && Activity.IsActive(parameter.Name);

    /// <summary>Generated methods carry <c>[SkipLocalsInit]</c> (see <see cref="VectorSupport.SkipLocalsInit"/>).</summary>
    public bool SkipLocalsInit { get; }

    /// <summary>What vector loops may use (<see cref="VectorSupport.None"/> when the method opted out).</summary>
    public VectorSupport Vectors { get; }

    /// <summary>The generic lane methods the vectorised loops call, written once beside the three derivatives; null when none.</summary>
    public CodeBlock? LaneMethod { get; set; }

    /// <summary>How many lane methods <see cref="LaneMethod"/> has (each loop's is named by its place in that order).</summary>
    public int LaneMethodCount { get; set; }

    /// <summary>Adjoint arrays the fused loop writes once per element, in full (<c>dx[i] = ...</c>): not cleared first.</summary>
    public HashSet<string> WrittenOnce { get; } = new();

    public ActivityAnalysis Activity { get; }

    public ReverseNeeds Needs { get; }

    public LoopReruns Reruns { get; }

    /// <summary>How many assignments each variable has in the method (see <see cref="MethodAnalysis.AssignmentCounts"/>).</summary>
    public Dictionary<string, int> AssignmentCounts { get; }

    public Recomputation Recomputation { get; }

    /// <summary>The calls that reuse a directional call's value and partials (see <see cref="PairedCalls"/>).</summary>
    public PairedCalls Pairs { get; }

    public Dictionary<string, VarInfo> Variables { get; }

    /// <summary><c>d</c> for adjoints, <c>t</c> for tangents.</summary>
    public string Prefix { get; }

    /// <summary>The method's floating type keyword.</summary>
    public string T => TypeClassifier.Keyword(Method.ReturnKind);

    /// <summary>Declarations hoisted to the top of the generated method (every local, slots, counters).</summary>
    public CodeBlock Declarations { get; } = new();

    /// <summary>Statements that give pooled buffers back, run before returning.</summary>
    public CodeBlock Cleanup { get; } = new();

    public IReadOnlyDictionary<ScalarKind, string> Tapes => _tapes;

    /// <summary>Adjoint or tangent of an active variable or array.</summary>
    public string Derivative(string variable) => _derivativeNames[variable];

    public bool HasDerivative(string variable) => _derivativeNames.ContainsKey(variable);

    public string Fresh(string stem) => _names.Fresh(stem);

    /// <summary>A numbered helper name (<c>__g3</c>), unique in the method.</summary>
    public string Temp(string stem) => _names.Fresh(stem + (++_temps).ToString(CultureInfo.InvariantCulture));

    public string Literal(double value, ScalarKind kind) => Autodiff.Generator.Helpers.Literal.Number(value, kind);

    /// <summary>The tape for a kind (bools share the int tape), declared on first use.</summary>
    public string TapeFor(ScalarKind kind)
    {
        ScalarKind storage = kind == ScalarKind.Bool ? ScalarKind.Int : kind;
        if (!_tapes.TryGetValue(storage, out string? name))
        {
            name = _names.Fresh("__tape" + char.ToUpperInvariant(TypeClassifier.Keyword(storage)[0]));
            _tapes[storage] = name;
        }

        return name;
    }

    private readonly Dictionary<ScalarKind, string> _arrayTapes = new();

    /// <summary>Tapes of pooled storage (<c>T[]?</c>) by element kind: arrays made again in each iteration of a loop.</summary>
    public IReadOnlyDictionary<ScalarKind, string> ArrayTapes => _arrayTapes;

    /// <summary>The tape of pooled storage for arrays of a kind, declared on first use.</summary>
    public string ArrayTapeFor(ScalarKind kind)
    {
        if (!_arrayTapes.TryGetValue(kind, out string? name))
        {
            name = _names.Fresh("__arrays" + char.ToUpperInvariant(TypeClassifier.Keyword(kind)[0]));
            _arrayTapes[kind] = name;
        }

        return name;
    }

    public string Zero(ScalarKind kind) => Literal(0, kind);

    /// <summary>
    /// Forward mode carries a tangent per lane of <see cref="ScalarKind.Lanes"/>, several directions in one sweep
    /// (<see cref="LaneJacobian"/>), where it otherwise carries one of the value's own type.
    /// </summary>
    public bool TangentLanes { get; init; }

    /// <summary>
    /// The tangent of the <c>[Output]</c> values is the caller's span of this name, written in place (a private lane JVP,
    /// whose caller owns the span), where it is otherwise a pooled array copied out at the end.
    /// </summary>
    public string? OutputTangent { get; private set; }

    /// <summary>Makes <see cref="OutputTangent"/> the tangent of the method's <c>[Output]</c> values.</summary>
    public void TangentInPlace(string parameter)
    {
        _derivativeNames[Method.Output!] = parameter;
        OutputTangent = parameter;
    }

    /// <summary>Lane tangents are summed with fused multiply-adds (<see cref="TangentLanes"/> and .NET 9's vector math).</summary>
    public bool FusedTangents { get; init; }

    /// <summary>The kind a tangent of a value of <paramref name="kind"/> is stored as.</summary>
    public ScalarKind TangentKind(ScalarKind kind) => TangentLanes && TypeClassifier.IsFloating(kind) ? ScalarKind.Lanes : kind;
}
