using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

internal sealed partial class MethodParser
{
    // The using directives of the files whose guards are copied as written.
    private readonly SortedSet<string> _usings = new(System.StringComparer.Ordinal);

    /// <summary>
    /// <c>ArgumentNullException.ThrowIfNull(w)</c>, <c>ArgumentOutOfRangeException.ThrowIfNegative(n)</c> and the other
    /// static <c>Throw*</c> methods of exception types, and <c>Debug.Assert</c>: guards, run where the primal runs.
    /// </summary>
    private static bool IsGuardCall(IMethodSymbol target)
    {
        if (!target.IsStatic || !target.ReturnsVoid || target.ContainingType is not { } type)
        {
            return false;
        }

        if (type.ToDisplayString() == "System.Diagnostics.Debug" && target.Name == "Assert")
        {
            return true;
        }

        if (!target.Name.StartsWith("Throw", System.StringComparison.Ordinal))
        {
            return false;
        }

        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (t.ToDisplayString() == "System.Exception")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A guard statement (<c>throw ...;</c>, a <c>Throw*</c> call, <c>Debug.Assert</c>): copied as written into the code
    /// that runs the primal, ignored by the reverse sweep (it writes nothing, and when it throws there is no derivative
    /// to take). Its variables must have their source names in the generated code (a local renamed because another
    /// scope reused its name, or the parameter of an inlined helper, has not), and the file's usings come along.
    /// </summary>
    private void Guard(IOperation guard, List<Stmt> output)
    {
        if (GuardReads(guard) is not { } reads)
        {
            return;
        }

        // The statement as written (its string literals exactly so), without the comments around it.
        SyntaxNode statement = guard.Syntax is ThrowStatementSyntax ? guard.Syntax : guard.Syntax.Parent is ExpressionStatementSyntax parent ? parent : guard.Syntax;
        string text = statement is StatementSyntax ? statement.ToString() : statement + ";";
        _usings.UnionWith(SymbolText.Usings(guard.Syntax.SyntaxTree, _cancellationToken));

        output.Add(new GuardStmt(CommentOf(statement), text, reads));
    }

    // The variables a guard reads, each with its source name in generated code (the guard is copied as written); null
    // (reported) when one has another name there.
    private EquatableArray<string>? GuardReads(IOperation guard)
    {
        var reads = new SortedSet<string>(System.StringComparer.Ordinal);
        foreach (IOperation node in guard.DescendantsAndSelf())
        {
            ISymbol? symbol = SymbolOf(node);
            if (symbol is null)
            {
                continue;
            }

            // The method's own parameters keep their names in every generated method: nameof(w) is fine, and so is the
            // [Output] span's length (its elements are the IR's local array, so reading them is not).
            bool own = symbol is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, _method);
            bool inNameOf = false;
            for (IOperation? up = node.Parent; up is not null && !inNameOf; up = up.Parent)
            {
                inNameOf = up is INameOfOperation;
            }

            bool outputLength = _outputParameter is { } outputParameter && symbol.Name == outputParameter.Name
                && node.Parent is IPropertyReferenceOperation { Property.Name: "Length" };
            if (own && (inNameOf || outputLength))
            {
                continue;
            }

            if (node.Syntax is not IdentifierNameSyntax || !_variables.TryGetValue(symbol, out VarInfo? variable) || variable.Name != symbol.Name)
            {
                Report(DiagnosticDescriptors.UnsupportedStatement, guard.Syntax.GetLocation(), CommentOf(guard.Syntax), "guard",
                    "'" + symbol.Name + "' has another name in the generated code (a local whose name another scope reuses, or a parameter of an inlined helper); give it a name of its own, or check the value in the caller");
                return null;
            }

            reads.Add(variable.Name);
        }

        return reads.ToEquatableArray();
    }


    // Where a throw expression's guard goes: the statements before the one being parsed, while its value is evaluated
    // unconditionally (not inside a branch of ?:, an operand of && or ||, or a switch arm); null elsewhere.
    private List<Stmt>? _before;

    /// <summary>
    /// <c>c ? e : throw X</c> (or <c>c ? throw X : e</c>): the throw becomes a guard before the statement,
    /// <c>if (!c) throw X;</c>, and the value is <c>e</c>. Null with <paramref name="handled"/> false when neither
    /// branch throws.
    /// </summary>
    private Expr? ParseThrowingConditional(IConditionalOperation conditional, ScalarKind kind, out bool handled)
    {
        IThrowOperation? whenTrue = Unconverted(conditional.WhenTrue) as IThrowOperation;
        IThrowOperation? whenFalse = conditional.WhenFalse is { } f ? Unconverted(f) as IThrowOperation : null;
        handled = whenTrue is not null || whenFalse is not null;
        if (!handled)
        {
            return null;
        }

        if (whenTrue is not null && whenFalse is not null)
        {
            return Unsupported(conditional, "conditionals whose branches both throw", "write an if statement that throws");
        }

        if (ParseValue(conditional.Condition, ScalarKind.Bool) is not { } condition)
        {
            return null;
        }

        Expr throws = whenTrue is not null ? condition : new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, condition);
        return ThrowGuard(whenTrue ?? whenFalse!, throws) ? ParseValue(whenTrue is null ? conditional.WhenTrue : conditional.WhenFalse!, kind) : null;
    }

    /// <summary><c>if (condition) throw X;</c> before the statement being parsed; false (reported) where there is no such place.</summary>
    private bool ThrowGuard(IThrowOperation thrown, Expr condition)
    {
        if (_before is not { } guards)
        {
            Unsupported(thrown, "throw expressions inside a branch or a condition", "throw from an if statement before this one, or compute the value into a local first");
            return false;
        }

        if (GuardReads(thrown) is not { } reads)
        {
            return false;
        }

        _usings.UnionWith(SymbolText.Usings(thrown.Syntax.SyntaxTree, _cancellationToken));
        string text = thrown.Syntax is ThrowExpressionSyntax expression ? "throw " + expression.Expression + ";" : thrown.Syntax + ";";
        string comment = CommentOf(thrown.Syntax);
        guards.Add(new IfStmt(string.Empty, condition, new EquatableArray<Stmt>(new Stmt[] { new GuardStmt(comment, text, reads) }), EquatableArray<Stmt>.Empty));
        return true;
    }

    // A value evaluated only sometimes (a branch of ?:, the right operand of && or ||, a switch arm): no guard may go
    // before the statement from inside it.
    private Expr? ParseConditionally(IOperation operation, ScalarKind? kind = null) => ParseWithBefore(operation, kind, null);

    // A statement's value: a throw expression evaluated unconditionally in it becomes a guard in output, before it (and
    // a call inlined there goes there too).
    private Expr? ParseGuardedValue(IOperation operation, ScalarKind? kind, List<Stmt> output) => ParseWithBefore(operation, kind, output);

    private Expr? ParseWithBefore(IOperation operation, ScalarKind? kind, List<Stmt>? before)
    {
        List<Stmt>? outer = _before;
        _before = before;
        try
        {
            return kind is { } k ? ParseValue(operation, k) : ParseExpr(operation);
        }
        finally
        {
            _before = outer;
        }
    }
}
