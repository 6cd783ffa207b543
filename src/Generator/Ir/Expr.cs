using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir;

/// <summary>An expression of the IR: pure (no side effects), typed, and printable back to C#.</summary>
internal abstract record Expr(ScalarKind Kind);

/// <summary>A literal, already formatted invariantly with its suffix.</summary>
internal sealed record ConstExpr(ScalarKind Kind, string Text) : Expr(Kind);

/// <summary>A scalar variable read.</summary>
internal sealed record VarExpr(ScalarKind Kind, string Name) : Expr(Kind);

/// <summary>An element read <c>Array[Index]</c>.</summary>
internal sealed record ElemExpr(ScalarKind Kind, string Array, Expr Index) : Expr(Kind);

/// <summary><c>Array.Length</c>.</summary>
internal sealed record LengthExpr(string Array) : Expr(ScalarKind.Int);

/// <summary>A unary operator.</summary>
internal sealed record UnaryExpr(ScalarKind Kind, UnaryOp Op, Expr Operand) : Expr(Kind);

/// <summary>A binary operator (arithmetic, comparison or logical).</summary>
internal sealed record BinaryExpr(ScalarKind Kind, BinaryOp Op, Expr Left, Expr Right) : Expr(Kind);

/// <summary><c>Condition ? WhenTrue : WhenFalse</c>.</summary>
internal sealed record CondExpr(ScalarKind Kind, Expr Condition, Expr WhenTrue, Expr WhenFalse) : Expr(Kind);

/// <summary>A numeric conversion (implicit or cast) to <see cref="Expr.Kind"/>.</summary>
internal sealed record ConvertExpr(ScalarKind Kind, Expr Operand) : Expr(Kind);

/// <summary>A call to a function of the rules table, e.g. <c>global::System.Math.Exp</c>.</summary>
internal sealed record MathCallExpr(ScalarKind Kind, string Class, string Function, EquatableArray<Expr> Args) : Expr(Kind);

/// <summary>A call to a function with a derivative (generated or registered). Array arguments are <see cref="VarExpr"/>s naming the array.</summary>
internal sealed record CallExpr(ScalarKind Kind, CalleeInfo Callee, EquatableArray<Expr> Args) : Expr(Kind);

/// <summary><c>Ad.StopGradient(x)</c>, a floor function, or any value whose derivative is taken as zero.</summary>
internal sealed record StopGradientExpr(ScalarKind Kind, Expr Operand, string Function) : Expr(Kind);

/// <summary>A passive value the IR does not look into (a static field or property read), printed as is.</summary>
internal sealed record OpaqueExpr(ScalarKind Kind, string Text) : Expr(Kind);

/// <summary><c>Tape.Pop()</c>: the next value of a tape, in the reverse order of the pushes (derivative code only); <c>Tape.Pop()!</c>
/// when <see cref="NotNull"/> (a tape of nullable storage popped into a variable that is never null).</summary>
internal sealed record TapePopExpr(ScalarKind Kind, string Tape, bool NotNull = false) : Expr(Kind);

/// <summary><c>out T Name</c> (<see cref="Declare"/>) or <c>out Name</c>: an argument the call writes (derivative code only).</summary>
internal sealed record OutExpr(ScalarKind Kind, string Name, bool Declare) : Expr(Kind);

/// <summary><c>new Span&lt;T&gt;(Buffer, 0, Length)</c> (or a <c>ReadOnlySpan</c>) over a pooled buffer (derivative code only).</summary>
internal sealed record SpanExpr(ScalarKind Kind, string Buffer, Expr Length, bool ReadOnly) : Expr(Kind);

/// <summary><c>ArrayPool&lt;T&gt;.Shared.Rent(Length)</c> (derivative code only).</summary>
internal sealed record RentExpr(ScalarKind Kind, Expr Length) : Expr(Kind);

/// <summary>A call of a generated method or helper by its full name (a VJP, <c>AddTo</c>); its arguments say what it reads and writes.</summary>
internal sealed record InvokeExpr(ScalarKind Kind, string Function, EquatableArray<Expr> Args) : Expr(Kind);

/// <summary><c>ref Name</c>: an argument the call may read and write (derivative code only).</summary>
internal sealed record RefExpr(ScalarKind Kind, string Name) : Expr(Kind);

/// <summary><c>Target.Member</c>: a field of a value (a JVP's <c>(Value, Tangent)</c> pair; derivative code only).</summary>
internal sealed record MemberExpr(ScalarKind Kind, Expr Target, string Member) : Expr(Kind);
