using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Forward mode: a tangent beside every active value, updated right before the value itself (the tangent
/// reads the old values). Control flow is the primal's, so no tape is needed.
/// </summary>
internal sealed class ForwardEmitter
{
    private readonly MethodContext _c;
    private readonly ReverseEmitter _arrays;
    private readonly Dictionary<ScalarKind, string> _zeroBuffers = new();

    // The tangent of each derivative call already made, by the name of its value (what ValueScope remembers).
    private readonly Dictionary<string, string> _callTangents = new();

    public ForwardEmitter(MethodContext context)
    {
        _c = context;
        _arrays = new ReverseEmitter(context);
    }

    public CodeBlock EmitSequence(IEnumerable<Stmt> statements)
    {
        var output = new CodeBlock();
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case AssignStmt a:
                    EmitAssign(a, output);
                    break;
                case ArrayDeclStmt d:
                    output.Line("// " + d.Comment);
                    string length = _c.Temp("__length");
                    output.Line($"int {length} = {ExprPrinter.Print(d.Length)};");
                    VarInfo array = _c.Variables[d.Name];
                    _arrays.PooledArray(output, array.Kind, array.Name, Build.Var(ScalarKind.Int, length));
                    if (_c.HasDerivative(d.Name))
                    {
                        _arrays.PooledArray(output, array.Kind, _c.Derivative(d.Name), Build.Var(ScalarKind.Int, length));
                    }

                    break;
                case IfStmt s:
                    output.Line("// " + s.Comment);
                    using (output.Block($"if ({ExprPrinter.Print(s.Condition)})"))
                    {
                        output.Append(EmitSequence(s.Then));
                    }

                    if (!s.Else.IsEmpty)
                    {
                        using (output.Block("else"))
                        {
                            output.Append(EmitSequence(s.Else));
                        }
                    }

                    break;
                case LoopStmt l:
                    output.Line("// " + l.Comment);
                    string condition = ExprPrinter.Print(l.Condition);
                    using (output.Block(l.TestAtEnd ? "do" : $"while ({condition})"))
                    {
                        output.Append(EmitSequence(l.Body));
                        output.Append(EmitSequence(l.Step));
                    }

                    if (l.TestAtEnd)
                    {
                        output.Line($"while ({condition});");
                    }

                    break;
            }
        }

        return output;
    }

    private void EmitAssign(AssignStmt assign, CodeBlock output)
    {
        string index = assign.Index is null ? string.Empty : $"[{ExprPrinter.Print(assign.Index)}]";
        output.Line("// " + assign.Comment);
        var scope = new ValueScope(null);
        string? tangent = null;
        if (_c.Activity.IsActive(assign.Target))
        {
            tangent = _c.Activity.IsActive(assign.Value) ? Tangent(assign.Value, scope) : null;
            tangent ??= _c.Zero(_c.Variables[assign.Target].Kind);
        }

        string value = ExprPrinter.Print(assign.Value, n => Lookup(n, scope));
        output.Append(scope.Flatten());
        if (tangent is not null)
        {
            output.Line($"{_c.Derivative(assign.Target)}{index} = {tangent};");
        }

        output.Line($"{assign.Target}{index} = {value};");
    }

    /// <summary>The tangent of an expression as C# text, or null when it is zero.</summary>
    private string? Tangent(Expr expr, ValueScope scope)
    {
        if (!_c.Activity.IsActive(expr))
        {
            return null;
        }

        switch (expr)
        {
            case VarExpr v:
                return _c.Derivative(v.Name);
            case ElemExpr e:
                return $"{_c.Derivative(e.Array)}[{ExprPrinter.Print(e.Index)}]";
            case UnaryExpr { Op: UnaryOp.Negate } u:
                return Tangent(u.Operand, scope) is { } tn ? "-" + ExprPrinter.Paren(tn) : null;
            case UnaryExpr u:
                return Tangent(u.Operand, scope);
            case ConvertExpr c:
                return Tangent(c.Operand, scope) is { } tc ? $"({TypeClassifier.Keyword(c.Kind)}){ExprPrinter.Paren(tc)}" : null;

            // t(a ± b) = ta ± tb
            case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract } b:
                return Sum(Tangent(b.Left, scope), Tangent(b.Right, scope), b.Op == BinaryOp.Subtract);

            // t(a b) = ta b + a tb
            case BinaryExpr { Op: BinaryOp.Multiply } b:
                return Sum(Scale(Tangent(b.Left, scope), Value(b.Right, scope)), Scale(Value(b.Left, scope), Tangent(b.Right, scope)), false);

            // t(a / b) = ta / b - a tb / b²
            case BinaryExpr { Op: BinaryOp.Divide } b:
            {
                string r = ExprPrinter.Paren(Value(b.Right, scope));
                string? left = Tangent(b.Left, scope) is { } tl ? $"{ExprPrinter.Paren(tl)} / {r}" : null;
                string? right = Tangent(b.Right, scope) is { } tr ? $"{ExprPrinter.Paren(Value(b.Left, scope))} * {ExprPrinter.Paren(tr)} / ({r} * {r})" : null;
                return Sum(left, right, true);
            }

            // t(a % b) = ta - trunc(a/b) tb
            case BinaryExpr { Op: BinaryOp.Remainder } b:
            {
                string mathClass = b.Kind == ScalarKind.Float ? "global::System.MathF" : "global::System.Math";
                string? right = Tangent(b.Right, scope) is { } tr ? $"{mathClass}.Truncate({Value(b.Left, scope)} / {ExprPrinter.Paren(Value(b.Right, scope))}) * {ExprPrinter.Paren(tr)}" : null;
                return Sum(Tangent(b.Left, scope), right, true);
            }

            // t(c ? a : b) = c ? ta : tb, evaluated inline so that only the branch taken runs
            case CondExpr c:
            {
                var inline = new ValueScope(scope, inline: true);
                string zero = _c.Zero(c.Kind);
                return $"({ExprPrinter.Print(c.Condition)} ? {Tangent(c.WhenTrue, inline) ?? zero} : {Tangent(c.WhenFalse, inline) ?? zero})";
            }

            // t f(a₀, ...) = Σ ∂f/∂aᵢ taᵢ
            case MathCallExpr m:
            {
                var context = new DerivativeRules.Context(m.Args.Count, i => new OpaqueExpr(m.Args[i].Kind, ExprPrinter.Paren(Value(m.Args[i], scope))), () => new OpaqueExpr(m.Kind, ExprPrinter.Paren(Value(m, scope))), m.Class, m.Kind);
                if (DerivativeRules.Selection(m.Function, context) is { } selection)
                {
                    // max, min, clamp, abs: the tangent of the argument picked, not a sum of 0/1 products (0 · ∞ = NaN)
                    string chosen = _c.Zero(m.Kind);
                    bool any = false;
                    for (int i = selection.Length - 1; i >= 0; i--)
                    {
                        string? t = Tangent(m.Args[selection[i].Argument], scope);
                        string value = t is null ? _c.Zero(m.Kind) : selection[i].Negated ? "-" + ExprPrinter.Paren(t) : t;
                        any |= t is not null;
                        chosen = selection[i].Condition is not { } condition ? value : $"({ExprPrinter.Print(condition)} ? {value} : {chosen})";
                    }

                    return any ? chosen : null;
                }

                string?[] partials = DerivativeRules.Partials(m.Function, context).Select(p => p is null ? null : ExprPrinter.Paren(ExprPrinter.Print(p))).ToArray();
                string? sum = null;
                for (int i = 0; i < m.Args.Count; i++)
                {
                    if (partials[i] is { } partial)
                    {
                        sum = Sum(sum, Scale(partial, Tangent(m.Args[i], scope)), false);
                    }
                }

                return sum;
            }

            case CallExpr call:
                return CallTangent(call, scope);

            default:
                return null;
        }
    }

    // A call to another differentiable function: its JVP, or, for a custom derivative without one, its VJP
    // seeded with 1 (for a scalar function the JVP is the gradient dotted with the tangents).
    private string CallTangent(CallExpr call, ValueScope scope)
    {
        // Called once per call site and scope: Value(call) evaluates the derivative call and keeps its value, and the
        // tangent asked for afterwards is the one that call gave (a second call made recursion exponential).
        if (!scope.Inline && scope.Lookup(call) is { } evaluated && _callTangents.TryGetValue(evaluated, out string? known))
        {
            return known;
        }

        var arguments = new List<string>();
        for (int i = 0; i < call.Args.Count; i++)
        {
            arguments.Add(call.Callee.Parameters[i].Shape == ShapeKind.Scalar ? Value(call.Args[i], scope) : ((VarExpr)call.Args[i]).Name);
        }

        string keyword = TypeClassifier.Keyword(call.Kind);
        if (call.Callee.Jvp is { } jvp)
        {
            var tangents = new List<string>();
            for (int i = 0; i < call.Args.Count; i++)
            {
                CalleeParam parameter = call.Callee.Parameters[i];
                if (parameter.Differentiable)
                {
                    tangents.Add(parameter.Shape == ShapeKind.Scalar
                        ? Tangent(call.Args[i], scope) ?? _c.Zero(parameter.Kind)
                        : ArrayTangent((VarExpr)call.Args[i], parameter.Kind, scope));
                }
            }

            string invocation = $"{jvp}({string.Join(", ", arguments.Concat(tangents))})";
            if (scope.Inline)
            {
                return invocation + ".Tangent";
            }

            string pair = _c.Temp("__jvp");
            string pairType = TypeClassifier.Keyword(call.Kind);
            scope.Pre.Line($"({pairType} Value, {pairType} Tangent) {pair} = {invocation};");
            scope.Remember(call, pair + ".Value");
            _callTangents[pair + ".Value"] = pair + ".Tangent";
            return pair + ".Tangent";
        }

        var outputs = new List<string>();
        var buffers = new List<(string Buffer, string Keyword)>();
        string? sum = null;
        for (int i = 0; i < call.Args.Count; i++)
        {
            CalleeParam parameter = call.Callee.Parameters[i];
            if (!parameter.Differentiable)
            {
                continue;
            }

            string d = _c.Temp("__d");
            string elementKeyword = TypeClassifier.Keyword(parameter.Kind);
            if (parameter.Shape == ShapeKind.Scalar)
            {
                outputs.Add($"out {elementKeyword} {d}");
                sum = Sum(sum, Scale(d, Tangent(call.Args[i], scope)), false);
                continue;
            }

            string name = ((VarExpr)call.Args[i]).Name;
            scope.Pre.Line($"{elementKeyword}[] {d} = {MethodContext.Pool}<{elementKeyword}>.Shared.Rent({name}.Length);");
            outputs.Add($"new global::System.Span<{elementKeyword}>({d}, 0, {name}.Length)");
            buffers.Add((d, elementKeyword));
            if (_c.Activity.IsActive(name))
            {
                sum = Sum(sum, $"{TypeRefs.Helpers}.Dot(new global::System.ReadOnlySpan<{elementKeyword}>({d}, 0, {name}.Length), {_c.Derivative(name)})", false);
            }
        }

        string value = _c.Temp("__v");
        scope.Pre.Line($"{keyword} {value} = {call.Callee.Vjp}({string.Join(", ", arguments.Concat(new[] { _c.Literal(1, call.Kind) }).Concat(outputs))});");
        scope.Remember(call, value);
        string tangent = _c.Temp("__t");
        scope.Pre.Line($"{keyword} {tangent} = {sum ?? _c.Zero(call.Kind)};");
        _callTangents[value] = tangent;
        foreach ((string buffer, string bufferKeyword) in buffers)
        {
            scope.Pre.Line($"{MethodContext.Pool}<{bufferKeyword}>.Shared.Return({buffer});");
        }

        return tangent;
    }

    // The tangent of an array argument: its tangent span, or zeros (pooled) when the array is passive.
    private string ArrayTangent(VarExpr array, ScalarKind kind, ValueScope scope)
    {
        if (_c.Activity.IsActive(array.Name))
        {
            return _c.Derivative(array.Name);
        }

        // One pooled buffer of zeros per method and kind, grown on demand and given back at the end.
        string keyword = TypeClassifier.Keyword(kind);
        if (!_zeroBuffers.TryGetValue(kind, out string? zeros))
        {
            zeros = _c.Fresh("__zeros" + char.ToUpperInvariant(keyword[0]));
            _zeroBuffers[kind] = zeros;
            _c.Declarations.Line($"{keyword}[]? {zeros} = null;");
            _c.Cleanup.Line($"{TypeRefs.Helpers}.Release(ref {zeros});");
        }

        return $"{TypeRefs.Helpers}.Zeros(ref {zeros}, {array.Name}.Length)";
    }

    private string Value(Expr node, ValueScope scope)
    {
        if (node is ConstExpr or VarExpr or ElemExpr or LengthExpr or OpaqueExpr || scope.Inline)
        {
            return ExprPrinter.Print(node, n => Lookup(n, scope));
        }

        if (scope.Lookup(node) is { } known)
        {
            return known;
        }

        if (!_c.Activity.IsActive(node) || node is CondExpr)
        {
            return ExprPrinter.Print(node, n => Lookup(n, scope));
        }

        if (node is CallExpr call)
        {
            CallTangent(call, scope);
            return scope.Lookup(node)!;
        }

        string text = ExprPrinter.Print(node, n => ReferenceEquals(n, node) ? null : ExprPrinter.Paren(Value(n, scope)));
        string temp = _c.Temp("__v");
        scope.Pre.Line($"{TypeClassifier.Keyword(node.Kind)} {temp} = {text};");
        scope.Remember(node, temp);
        return temp;
    }

    private static string? Lookup(Expr node, ValueScope scope) => scope.Lookup(node);

    private static string? Scale(string? a, string? b) => a is null || b is null ? null : ExprPrinter.Paren(a) + " * " + ExprPrinter.Paren(b);

    private static string? Sum(string? a, string? b, bool subtract)
    {
        if (b is null)
        {
            return a;
        }

        if (a is null)
        {
            return subtract ? "-" + ExprPrinter.Paren(b) : b;
        }

        return a + (subtract ? " - " : " + ") + ExprPrinter.Paren(b);
    }
}
