using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir.Tensors;

/// <summary>
/// A <c>[Differentiable]</c> instance method of a <c>[Model]</c> class, as SSA over tensors and floats (straight-line
/// statements, with loops and branches as structured statements holding their own bodies).
/// </summary>
/// <remarks>
/// Flows through the incremental pipeline: immutable, structural equality, no symbols or syntax.
/// </remarks>
/// <param name="ModelType">Fully qualified name of the containing model class (its <c>Gradient</c> is nested there).</param>
/// <param name="Usings">The source file's using directives, for passive expressions copied as written.</param>
/// <param name="TapeType">Name of the nested tape class (<c>{Name}Tape</c>, with a signature hash for overloads).</param>
internal sealed record TensorMethod(
    string HintName,
    string TapeType,
    string Namespace,
    EquatableArray<ContainingType> Types,
    string ModelType,
    string Name,
    string Accessibility,
    TKind ReturnKind,
    EquatableArray<TParam> Parameters,
    EquatableArray<TStmt> Body,
    TValue? Result,
    EquatableArray<string> Usings,
    bool IsStub);

/// <summary>Value kinds of model code.</summary>
internal enum TKind
{
    Tensor,
    Float,
}

/// <summary>A parameter: tensors get an adjoint argument in the backward pass unless <c>[NoDerivative]</c>.</summary>
internal sealed record TParam(string Name, string TypeText, bool IsTensor, bool Differentiable);

/// <summary>Where a value lives.</summary>
internal enum TSource
{
    /// <summary>A parameter of the method (<see cref="TValue.Code"/> is its name).</summary>
    Parameter,

    /// <summary>A tensor field or property of the model (<see cref="TValue.Code"/> is its name).</summary>
    Field,

    /// <summary>A result of a statement, kept on the tape (<see cref="TValue.Slot"/>).</summary>
    Temp,

    /// <summary>A constant or passive expression, printed as <see cref="TValue.Code"/>.</summary>
    Passive,

    /// <summary>
    /// A passive value evaluated once by a <see cref="TPassiveStmt"/> and kept on the tape (<c>a{Slot}</c>); the
    /// emitter prints where it lives (the tape or a loop frame).
    /// </summary>
    Stored,
}

/// <summary>A value of model code. <see cref="Active"/>: depends on a trainable tensor or differentiable parameter.</summary>
internal sealed record TValue(TKind Kind, TSource Source, string Code, int Slot, bool Active);

/// <summary>A statement of model code. <see cref="Comment"/> is the primal source line it starts (empty for the rest).</summary>
internal abstract record TStmt(string Comment);

/// <summary>
/// <c>t{Slot} = Primal(Args)</c> for an op with a registered VJP; <see cref="Into"/> is the buffer-reusing overload,
/// <see cref="Jvp"/> the forward-mode rule when one is registered (<see cref="JvpInto"/>: it has an overload that writes
/// into a reused tensor), <see cref="VjpTangent"/> the VJP's forward mode (for Hessian-vector products) when one is.
/// </summary>
internal sealed record TOpStmt(string Comment, TValue Target, string Primal, string? Into, string Vjp, string? Jvp, EquatableArray<TValue> Args, string? VjpTangent = null, bool JvpInto = false) : TStmt(Comment);

/// <summary><c>t{Slot} = Receiver.Method(Args)</c> for a <c>[Differentiable]</c> method of a model (this one or a layer).</summary>
/// <param name="Receiver">Member name of the layer, or empty for <c>this</c>.</param>
/// <param name="ModelType">Fully qualified type of the receiver (its <see cref="TapeType"/> holds the callee's intermediates).</param>
/// <param name="TapeType">The callee's tape class, nested in <see cref="ModelType"/>.</param>
/// <param name="Differentiable">Per argument: whether the callee takes an adjoint for it.</param>
internal sealed record TCallStmt(string Comment, TValue Target, string Receiver, string ModelType, string Method, string TapeType, int TapeSlot,
    EquatableArray<TValue> Args, EquatableArray<bool> Differentiable) : TStmt(Comment);

/// <summary>Float arithmetic <c>Left Op Right</c>, or <c>-Left</c> (<see cref="TScalarOp.Negate"/>, <see cref="Right"/> null).</summary>
internal sealed record TScalarStmt(string Comment, TValue Target, TScalarOp Op, TValue Left, TValue? Right) : TStmt(Comment);

/// <summary>The float arithmetic of model code.</summary>
internal enum TScalarOp
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Negate,
}

/// <summary>Operators' C# text.</summary>
internal static class TScalarOps
{
    /// <summary>The C# operator of a binary <see cref="TScalarOp"/>.</summary>
    public static string Text(this TScalarOp op) => op switch
    {
        TScalarOp.Add => "+",
        TScalarOp.Subtract => "-",
        TScalarOp.Multiply => "*",
        TScalarOp.Divide => "/",
        _ => throw new System.ArgumentOutOfRangeException(nameof(op), op, "not a binary operator"),
    };
}

/// <summary>
/// A passive value evaluated once and kept on the tape: <c>a{Slot} = Code</c> of type <see cref="TypeText"/>. The code
/// is C# text in pieces, some of which are references to values that live on the tape or a frame (an inlined tensor
/// function's expression reads its caller's values): the emitter prints each where it is.
/// </summary>
internal sealed record TPassiveStmt(string Comment, int Slot, string TypeText, EquatableArray<TCodePart> Code) : TStmt(Comment);

/// <summary>A piece of passive code: text as written, or a reference to a value by slot.</summary>
internal sealed record TCodePart(TCodeKind Kind, string Text, int Slot)
{
    public static TCodePart Source(string text) => new(TCodeKind.Text, text, -1);
}

/// <summary>What a <see cref="TCodePart"/> is.</summary>
internal enum TCodeKind
{
    /// <summary>C# text as written (types and static members fully qualified).</summary>
    Text,

    /// <summary>A stored passive value (<c>a{slot}</c>).</summary>
    Stored,

    /// <summary>A computed tensor (<c>t{slot}!</c>), whose shape the code reads.</summary>
    Tensor,
}

/// <summary>
/// <c>if (condition) { Then } else { Else }</c>: the condition is evaluated once in the forward pass and kept on the tape
/// (<c>b{ConditionSlot}</c>), so the backward pass replays the branch that ran. Locals assigned in a branch are merged:
/// <see cref="Results"/>[j] is <see cref="ThenOutputs"/>[j] or <see cref="ElseOutputs"/>[j] (the value before the
/// <c>if</c> for a branch that does not assign it).
/// </summary>
/// <param name="Condition">A passive bool (<see cref="ConditionRight"/> null), or the left side of a float comparison.</param>
/// <param name="ConditionOp">The comparison (<see cref="BinaryOp.Less"/> ... <see cref="BinaryOp.NotEqual"/>) when <see cref="ConditionRight"/> is set.</param>
internal sealed record TIfStmt(string Comment, int ConditionSlot, TValue Condition, BinaryOp? ConditionOp, TValue? ConditionRight,
    EquatableArray<TStmt> Then, EquatableArray<TStmt> Else, EquatableArray<TValue> ThenOutputs, EquatableArray<TValue> ElseOutputs,
    EquatableArray<TValue> Results) : TStmt(Comment);

/// <summary>
/// <c>foreach (var layer in List) { body }</c> over a list of layers, or <c>for (int i = 0; i &lt; n; i++) { body }</c>
/// (<see cref="List"/> empty): the body runs once per layer or count on its own tape frame; the forward pass keeps
/// the trip count on the tape for the backward pass. Tensor locals assigned in the body are carried: <see cref="Inputs"/> are the frame slots holding their
/// values at the start of an iteration (<see cref="Initial"/> before the first), <see cref="Outputs"/> their values
/// at the end, <see cref="Results"/> the values after the loop.
/// </summary>
/// <param name="List">The list member's path, e.g. <c>Layers</c> or <c>Encoder.Blocks</c>; empty for a counted loop.</param>
/// <param name="Count">The trip count (<c>this.Layers.Count</c>), or a counted loop's bound: a parameter, a constant or a stored value.</param>
/// <param name="Start">A counted loop's first counter value (the trip count is <c>Count - Start</c>, at least 0).</param>
/// <param name="Index">The generated index variable; the body's receivers read <c>List[Index]</c>.</param>
/// <param name="Frame">Number of the frame class on the tape.</param>
/// <param name="FrameSlots">Value slots that live in the frame (inputs and body temps).</param>
/// <param name="FrameTapes">Child-tape slots of the body's layer calls.</param>
/// <param name="IsWhile">
/// A while loop: <see cref="Count"/> is unused, the body starts with the condition's statements and a
/// <see cref="TExitStmt"/>, and the trip count is the number of frames that passed it.
/// </param>
/// <remarks>
/// Loops nest: an inner loop's frames hang off the enclosing frame, and the slots of an inner frame are also in the
/// enclosing loop's <see cref="FrameSlots"/> (the innermost frame that lists a slot holds it).
/// </remarks>
internal sealed record TLoopStmt(string Comment, string List, TValue Count, int Start, string Index, int Frame, EquatableArray<TStmt> Body,
    EquatableArray<TValue> Inputs, EquatableArray<TValue> Initial, EquatableArray<TValue> Outputs, EquatableArray<TValue> Results,
    EquatableArray<int> FrameSlots, EquatableArray<int> FrameTapes, bool IsWhile) : TStmt(Comment);

/// <summary>
/// The test of a while loop, at the start of its frame: the loop ends when <c>Left Op Right</c> (or the passive bool
/// <see cref="Left"/>) is false. Not differentiated.
/// </summary>
internal sealed record TExitStmt(string Comment, TValue Left, BinaryOp? Op, TValue? Right) : TStmt(Comment);
