using Autodiff.Generator.Helpers;

namespace Autodiff.Generator.Ir;

/// <summary>A statement of the IR. <see cref="Comment"/> is the primal source it came from, on one line.</summary>
internal abstract record Stmt(string Comment);

/// <summary><c>Target = Value</c>, or <c>Target[Index] = Value</c> when <see cref="Index"/> is set.</summary>
/// <param name="IsDeclaration">The assignment is a local's initialiser (no earlier value to save outside loops).</param>
internal sealed record AssignStmt(string Comment, string Target, Expr? Index, Expr Value, bool IsDeclaration) : Stmt(Comment);

/// <summary>A local array: <c>new T[Length]</c> or <c>stackalloc T[Length]</c> (zeroed).</summary>
internal sealed record ArrayDeclStmt(string Comment, string Name, Expr Length) : Stmt(Comment);

/// <summary><c>if (Condition) Then else Else</c>.</summary>
internal sealed record IfStmt(string Comment, Expr Condition, EquatableArray<Stmt> Then, EquatableArray<Stmt> Else) : Stmt(Comment);

/// <summary>
/// <c>while (Condition) { Body; Step; }</c>, or with <see cref="TestAtEnd"/> the <c>do ... while</c> form.
/// <c>for</c> and <c>foreach</c> lower to it; <c>Step</c> is the <c>for</c> increment, run after a <c>continue</c> too.
/// </summary>
internal sealed record LoopStmt(string Comment, Expr Condition, EquatableArray<Stmt> Body, EquatableArray<Stmt> Step, bool TestAtEnd) : Stmt(Comment);

/// <summary><c>break</c> of the innermost loop (removed by the lowering).</summary>
internal sealed record BreakStmt(string Comment) : Stmt(Comment);

/// <summary><c>continue</c> of the innermost loop (removed by the lowering).</summary>
internal sealed record ContinueStmt(string Comment) : Stmt(Comment);

/// <summary><c>return Value</c> (removed by the lowering).</summary>
internal sealed record ReturnStmt(string Comment, Expr Value) : Stmt(Comment);

/// <summary>
/// A guard, <c>throw ...;</c> or a <c>Throw*</c>/<c>Debug.Assert</c> call, written out as <see cref="Text"/> where the
/// primal runs (the forward sweep, forward mode) and not in the reverse sweep; it reads <see cref="Reads"/> and writes
/// nothing.
/// </summary>
internal sealed record GuardStmt(string Comment, string Text, EquatableArray<string> Reads) : Stmt(Comment);
