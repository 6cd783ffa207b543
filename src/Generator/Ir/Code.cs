using System.Collections.Generic;
using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir;

/// <summary>
/// A statement of the derivative IR: what the reverse and forward transforms produce, with the primal's
/// <see cref="Expr"/> for every value (an adjoint or a temp is a <see cref="VarExpr"/>, a tape read a
/// <see cref="TapePopExpr"/>). Passes rewrite it; <see cref="Emit.CodePrinter"/> alone turns it into C#.
/// </summary>
internal abstract record Code;

/// <summary><c>// Text</c> on a line of its own: the primal statement the code after it comes from.</summary>
internal sealed record CommentCode(string Text) : Code;

/// <summary>An empty line.</summary>
internal sealed record BlankCode : Code
{
    public static readonly BlankCode Instance = new();
}

/// <summary><c>Type Name = Value;</c>, or <c>Type Name;</c> without a value.</summary>
internal sealed record DeclareCode(string Type, string Name, Expr? Value) : Code;

/// <summary>
/// <c>Target = Value;</c>, or <c>Target += Value;</c> when <see cref="Add"/>: the target is a <see cref="VarExpr"/> or
/// an <see cref="ElemExpr"/>. <see cref="Note"/> is a comment at the end of the line.
/// </summary>
internal sealed record AssignCode(Expr Target, Expr Value, bool Add = false, string? Note = null) : Code
{
    /// <summary>The variable or array the statement writes.</summary>
    public string Base => BaseOf(Target);

    /// <summary>The variable or array of a target: <c>x</c> of <c>x</c> and of <c>x[i]</c>.</summary>
    public static string BaseOf(Expr target) => target is ElemExpr e ? e.Array : ((VarExpr)target).Name;
}

/// <summary><c>Name++;</c></summary>
internal sealed record IncrementCode(string Name) : Code;

/// <summary>A call for its effect: <c>Call;</c> (an <see cref="InvokeExpr"/>, its <see cref="OutExpr"/> arguments written).</summary>
internal sealed record CallCode(Expr Call) : Code;

/// <summary><c>Span.Clear();</c>: every element of a span set to zero.</summary>
internal sealed record ClearCode(string Span) : Code;

/// <summary><c>Helpers.AddTo(Target, new ReadOnlySpan&lt;T&gt;(Buffer, 0, Length));</c>: a pooled buffer added into an adjoint span
/// (times <see cref="Scale"/> when there is one: <c>Helpers.AddTo(Target, Scale, ...)</c>).</summary>
internal sealed record AddSpanCode(string Target, ScalarKind Kind, string Buffer, Expr Length, Expr? Scale = null) : Code;

/// <summary><c>ArrayPool&lt;T&gt;.Shared.Return(Buffer);</c>, guarded by <c>if (Buffer is not null)</c> when <see cref="IfRented"/>.</summary>
internal sealed record ReturnCode(ScalarKind Kind, string Buffer, bool IfRented) : Code;

/// <summary><c>Tape.Push(Value);</c></summary>
internal sealed record PushCode(string Tape, Expr Value) : Code;

/// <summary><c>if (Condition) { Then } else { Else }</c>; the <c>else</c> is written when it has code or <see cref="ForceElse"/>.</summary>
internal sealed record IfCode(Expr Condition, CodeBlock Then, CodeBlock Else, bool ForceElse = false) : Code;

/// <summary><c>while (Condition) { Body }</c>, or <c>do { Body } while (Condition);</c> with <see cref="TestAtEnd"/>.</summary>
internal sealed record WhileCode(Expr Condition, CodeBlock Body, bool TestAtEnd) : Code;

/// <summary><c>for (int Counter = Count; Counter &gt; 0; Counter--) { Body }</c>: a loop replayed backwards.</summary>
internal sealed record CountdownCode(string Counter, Expr Count, CodeBlock Body) : Code;

/// <summary>
/// A block under a header of text (a method signature, an <c>if</c> of the lane method's dispatch). Passes treat it
/// as a barrier and do not look inside.
/// </summary>
internal sealed record BlockCode(string Header, CodeBlock Body) : Code;

/// <summary>A line of C# that is not IR: the method frames (signatures, doc comments, length checks) and the lane method's frame.</summary>
internal sealed record TextCode(string Text) : Code;
