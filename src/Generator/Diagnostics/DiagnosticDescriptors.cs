using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Diagnostics;

/// <summary>
/// Every diagnostic of the generator and analyzer, in one table. Ids by stage: AD00xx declaration shape
/// (analyzer), AD01xx body parsing, AD02xx activity, AD03xx derivative rules, AD09xx internal.
/// </summary>
internal static class DiagnosticDescriptors
{
    // The diagnostics page of this repository's manual, relative to its root: there is no published site to link to.
    private const string HelpBase = "docs/diagnostics.md#";

    /// <summary>AD0001: "The [Differentiable] method '{0}' must be static".</summary>
    public static readonly DiagnosticDescriptor MethodNotStatic = Make(
        "AD0001", "Differentiable method must be static", "The [Differentiable] method '{0}' must be static",
        "Autodiff.Declaration", DiagnosticSeverity.Error,
        "Make the method static: generated derivatives are static methods beside it. Put model state in parameters, or mark the class [Model] to differentiate instance methods over its Tensor fields.");

    /// <summary>AD0002: "The type '{0}' that contains {1} must be declared partial".</summary>
    public static readonly DiagnosticDescriptor TypeNotPartial = Make(
        "AD0002", "Containing type must be partial", "The type '{0}' that contains {1} must be declared partial",
        "Autodiff.Declaration", DiagnosticSeverity.Error,
        "Add the 'partial' modifier to the type and to every type that encloses it, so that the generator can add the derivative methods.");

    /// <summary>AD0003: "The [Differentiable] method '{0}' returns '{1}'; it must return double or float".</summary>
    public static readonly DiagnosticDescriptor UnsupportedReturnType = Make(
        "AD0003", "Differentiable method must return double or float", "The [Differentiable] method '{0}' returns '{1}'; it must return double or float, void with its results written to one [Output] span, or a double[] or float[] (a helper differentiated where it is called)",
        "Autodiff.Declaration", DiagnosticSeverity.Error,
        "Return a double or float scalar (a loss or an output), or write several results to a Span<double> parameter marked [Output] and return void.");

    /// <summary>AD0004: "Parameter '{0}' of type '{1}' is not supported: {2}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedParameter = Make(
        "AD0004", "Unsupported parameter", "Parameter '{0}' of type '{1}' is not supported: {2}",
        "Autodiff.Declaration", DiagnosticSeverity.Error,
        "Use double, float, int, long or bool scalars, or arrays, Span<T> or ReadOnlySpan<T> of them, passed by value.");

    /// <summary>AD0005: "The [Differentiable] method '{0}' cannot be {1}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedMethodShape = Make(
        "AD0005", "Unsupported method shape", "The [Differentiable] method '{0}' cannot be {1}",
        "Autodiff.Declaration", DiagnosticSeverity.Error,
        "Differentiable methods must be ordinary, non-generic, non-async, non-iterator static methods with a body, in non-generic types.");

    /// <summary>AD0006: "The [Model] type '{0}' must be {1}".</summary>
    public static readonly DiagnosticDescriptor BadModelType = Make(
        "AD0006", "Unsupported model type", "The [Model] type '{0}' must be {1}",
        "Autodiff.Declaration", DiagnosticSeverity.Error,
        "A model is a non-generic partial class whose Tensor fields are its parameters; the generator adds a Gradient class, Parameters() and Step() to it.");

    /// <summary>AD0007: "The name '{0}' clashes with {1}; rename it".</summary>
    public static readonly DiagnosticDescriptor NameClash = Make(
        "AD0007", "Name used by generated code", "The name '{0}' clashes with {1}; rename it",
        "Autodiff.Declaration", DiagnosticSeverity.Error,
        "The generator adds {Name}Gradient, {Name}Vjp and {Name}Jvp beside a [Differentiable] method ({Name}Record, {Name}Backward, {Name}Tangent, {Name}BackwardTangent, {Name}Hvp and a {Name}Tape class for model methods), and generated model methods name their own parameters gradient, tape, tangent, value, dResult, tdResult, hv, and d plus a tensor parameter's name. Rename your member or parameter.");

    /// <summary>AD0108: "Cannot differentiate '{0}': {1}" (a statement model code does not support).</summary>
    public static readonly DiagnosticDescriptor UnsupportedModelCode = Make(
        "AD0108", "Unsupported statement in model code", "Cannot differentiate '{0}': {1}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Model methods and tensor functions are made of locals, assignments, if/else, loops over a list of layers, counted for loops, while loops on float comparisons, and a final return.");

    /// <summary>AD0111: "Cannot differentiate '{0}': {1}" (a loop, condition or return that model code does not support).</summary>
    public static readonly DiagnosticDescriptor UnsupportedModelControlFlow = Make(
        "AD0111", "Unsupported control flow in model code", "Cannot differentiate '{0}': {1}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Model code loops over a list of layers (foreach), counts (for (int i = c; i < n; i++)) or runs while a float comparison holds; its conditions are bools that do not depend on tensors, or float comparisons; it returns once, at the end. Compute other control flow outside the method and pass flags in.");

    /// <summary>AD0112: "Cannot differentiate '{0}': {1}" (a value or local that model code does not track).</summary>
    public static readonly DiagnosticDescriptor UnsupportedModelValue = Make(
        "AD0112", "Unsupported value in model code", "Cannot differentiate '{0}': {1}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Model code computes with Tensor and float values: initialised Tensor and float locals, float arithmetic (+ - * / and unary minus; no double), tensor ops, and shapes (Rows, Columns, Length) of tensors. Pass other values in as parameters or fields.");

    /// <summary>AD0113: "Cannot differentiate '{0}': {1}" (a call that model code cannot differentiate).</summary>
    public static readonly DiagnosticDescriptor UnsupportedModelCall = Make(
        "AD0113", "Unsupported call in model code", "Cannot differentiate '{0}': {1}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Model code calls tensor ops with registered derivatives, [Differentiable] methods of this model or of its layer fields, and tensor functions (inlined; they must not recurse and must compile on their own), passing values, not ref/out/in, and constants for float arguments that carry no gradient.");

    /// <summary>AD0101: "Cannot differentiate '{0}': {1} statements are not supported; {2}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedStatement = Make(
        "AD0101", "Unsupported statement", "Cannot differentiate '{0}': {1} statements are not supported; {2}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Rewrite the statement with assignments, if/else, for, while, do, foreach, break, continue and return, or move it out of the [Differentiable] method.");

    /// <summary>AD0102: "Cannot differentiate '{0}': {1} are not supported; {2}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedExpression = Make(
        "AD0102", "Unsupported expression", "Cannot differentiate '{0}': {1} are not supported; {2}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Use arithmetic, comparisons, Math functions, array reads and calls to differentiable functions. Compute other values outside and pass them in.");

    /// <summary>AD0103: "Cannot differentiate '{0}': it writes to {1}, which is visible outside the method; compute into a local instead".</summary>
    public static readonly DiagnosticDescriptor SideEffectWrite = Make(
        "AD0103", "Write visible outside the method", "Cannot differentiate '{0}': it writes to {1}, which is visible outside the method; compute into a local instead",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Differentiable methods must be pure: write only to locals and local arrays. Return the value you need, or copy the array into a local one.");

    /// <summary>AD0104: "Cannot differentiate the call to '{0}': it has no derivative; mark it [Differentiable], register one with [CustomDerivative] or [assembly: RegisterDerivative], or wrap the argument in Ad.StopGradient".</summary>
    public static readonly DiagnosticDescriptor NoDerivativeForCall = Make(
        "AD0104", "Call without a derivative", "Cannot differentiate the call to '{0}': it has no derivative; mark it [Differentiable], register one with [CustomDerivative] or [assembly: RegisterDerivative], or wrap the value in Ad.StopGradient",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "The generator only calls functions whose derivative it knows: Math/MathF functions of the rules table, other [Differentiable] methods and registered custom derivatives.");

    /// <summary>AD0105: "Cannot differentiate '{0}': assignments and increments inside an expression are not supported; make it a statement of its own".</summary>
    public static readonly DiagnosticDescriptor EmbeddedAssignment = Make(
        "AD0105", "Assignment inside an expression", "Cannot differentiate '{0}': assignments and increments inside an expression are not supported; make it a statement of its own",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Write 'x[i] = v; i++;' rather than 'x[i++] = v'.");

    /// <summary>AD0107: "Cannot differentiate '{0}': the type '{1}' is not supported; {2}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedType = Make(
        "AD0107", "Unsupported type", "Cannot differentiate '{0}': the type '{1}' is not supported; {2}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "Locals may be double, float, int, long or bool, or arrays and spans of them.");

    /// <summary>AD0114: "Cannot take second derivatives of '{0}': the call to '{1}' has none; {2}".</summary>
    public static readonly DiagnosticDescriptor NoSecondDerivative = Make(
        "AD0114", "Callee without second derivatives", "Cannot take second derivatives of '{0}': the call to '{1}' has none; {2}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "A [Differentiable(SecondOrder = true)] method differentiates the directional derivatives of its callees, which only other second-order [Differentiable] methods have.");

    /// <summary>AD0115: "Cannot differentiate '{0}': it calls '{1}', a derivative the generator writes; {2}".</summary>
    public static readonly DiagnosticDescriptor NestedDerivative = Make(
        "AD0115", "Call of a generated derivative", "Cannot differentiate '{0}': it calls '{1}', a derivative the generator writes; {2}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "A differentiated method may call the Gradient, Vjp, Jvp and Directional methods generated for a second-order method (nested differentiation). The derivatives of Hvp, Hessian, DirectionalVjp and Jacobian methods (third derivatives), a JVP's pair kept as a value, and a nested gradient with array adjoints or inside a larger expression are not supported.");

    /// <summary>AD0110: "Cannot differentiate the call to '{0}': its derivatives are not generated ({1})".</summary>
    public static readonly DiagnosticDescriptor CalleeNotGenerated = Make(
        "AD0110", "Callee without generated derivatives", "Cannot differentiate the call to '{0}': its derivatives are not generated ({1})",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "The called [Differentiable] method has a declaration problem, reported at its declaration; fix that and this call differentiates.");

    /// <summary>AD0109: "Cannot differentiate '{0}': {1} is not supported in a switch statement; {2}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedSwitchShape = Make(
        "AD0109", "Unsupported switch statement shape", "Cannot differentiate '{0}': {1} is not supported in a switch statement; {2}",
        "Autodiff.Parsing", DiagnosticSeverity.Error,
        "A switch statement becomes an if / else if chain: each section ends with its break (or a return or continue), and a local belongs to one section.");

    /// <summary>AD0201: "The result of '{0}' does not depend on any differentiable parameter; its derivatives are always zero".</summary>
    public static readonly DiagnosticDescriptor ConstantResult = Make(
        "AD0201", "Result does not depend on the differentiable parameters", "The result of '{0}' does not depend on any differentiable parameter; its derivatives are always zero",
        "Autodiff.Activity", DiagnosticSeverity.Warning,
        "Check for Ad.StopGradient, [NoDerivative] or integer conversions that cut the dependency.");

    /// <summary>AD0301: "'{0}' is piecewise constant: its derivative is taken as zero".</summary>
    public static readonly DiagnosticDescriptor PiecewiseConstant = Make(
        "AD0301", "Piecewise-constant function", "'{0}' is piecewise constant: its derivative is taken as zero",
        "Autodiff.Rules", DiagnosticSeverity.Warning,
        "Floor, Ceiling, Round, Truncate and Sign have zero derivative almost everywhere; gradients do not flow through them. Suppress with #pragma if that is intended.");

    /// <summary>AD0302: "The custom derivative '{0}' registered for '{1}' has the wrong shape: expected {2}".</summary>
    public static readonly DiagnosticDescriptor BadCustomDerivative = Make(
        "AD0302", "Custom derivative has the wrong shape", "The custom derivative '{0}' registered for '{1}' has the wrong shape: expected {2}",
        "Autodiff.Rules", DiagnosticSeverity.Error,
        "A VJP takes the function's parameters, then the seed, then one 'out T' per differentiable scalar and one Span<T> per differentiable array, and returns the value.");

    /// <summary>AD0901: "The Autodiff generator failed on '{0}': {1}. Please report this.".</summary>
    public static readonly DiagnosticDescriptor InternalError = Make(
        "AD0901", "Internal generator error", "The Autodiff generator failed on '{0}': {1}. Please report this.",
        "Autodiff.Internal", DiagnosticSeverity.Error,
        "The generator hit a case it does not handle; the method gets stub derivatives that throw. Please file an issue with the method.");

    private static DiagnosticDescriptor Make(string id, string title, string message, string category, DiagnosticSeverity severity, string description)
        => new(id, title, message, category, severity, isEnabledByDefault: true, description: description, helpLinkUri: HelpBase + id.ToLowerInvariant());
}
