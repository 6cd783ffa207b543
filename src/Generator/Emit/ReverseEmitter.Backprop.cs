using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

// The chain rule for one expression, applied from the result down to the leaves: each node receives its
// adjoint g and passes g times its local partial derivative to each active child; leaves accumulate (+=).
internal sealed partial class ReverseEmitter
{
    /// <summary>
    /// An adjoint on its way down: <see cref="Text"/>, negated when <see cref="Negative"/>. A minus sign is carried,
    /// not written, until the adjoint reaches a leaf, where it becomes a subtraction or folds into a literal factor
    /// (<c>dx = -2.0 * (__g6 * x) - __g3</c>): writing it at each <c>a - b</c> and <c>-a</c> cost Rosenbrock a
    /// negated temp and a sign flip per point. Negation is exact, so the values are the same.
    /// </summary>
    private readonly struct Adjoint
    {
        public Adjoint(string text, bool negative = false)
        {
            Text = text;
            Negative = negative;
        }

        public string Text { get; }

        public bool Negative { get; }

        /// <summary>The adjoint as one expression, its sign written.</summary>
        public string Signed => Negative ? AccumulationMerger.Negate(Text) : Text;

        public Adjoint Negated() => new(Text, !Negative);

        /// <summary>Another text (the adjoint times a partial derivative), the same sign.</summary>
        public Adjoint With(string text) => new(text, Negative);
    }

    private void Backprop(Expr expr, Adjoint g, ValueScope scope)
    {
        switch (expr)
        {
            case VarExpr v when _c.Activity.IsActive(v.Name):
                scope.Accumulate(_c.Derivative(v.Name), g.Signed);
                break;

            case ElemExpr e when _c.Activity.IsActive(e.Array):
                scope.Accumulate($"{_c.Derivative(e.Array)}[{ExprPrinter.Print(e.Index)}]", g.Signed);
                break;

            // -a: d/da = -1
            case UnaryExpr { Op: UnaryOp.Negate } u:
                Child(u.Operand, g.Negated(), scope);
                break;

            case UnaryExpr { Op: UnaryOp.Plus } u:
                Child(u.Operand, g, scope);
                break;

            // (T)a between float and double: the adjoint converts back
            case ConvertExpr c:
                Child(c.Operand, g.With($"({TypeClassifier.Keyword(c.Operand.Kind)}){ExprPrinter.Paren(g.Text)}"), scope);
                break;

            // a + b: d/da = 1, d/db = 1
            case BinaryExpr { Op: BinaryOp.Add } b:
                Child(b.Left, g, scope);
                Child(b.Right, g, scope);
                break;

            // a - b: d/da = 1, d/db = -1
            case BinaryExpr { Op: BinaryOp.Subtract } b:
                Child(b.Left, g, scope);
                Child(b.Right, g.Negated(), scope);
                break;

            // a * a: d/da = 2a (exactly g a + a g, one product instead of two); a pure a only: two structurally equal
            // calls are two calls (a user function may not be pure)
            case BinaryExpr { Op: BinaryOp.Multiply } b when b.Left.Equals(b.Right) && ExprFacts.IsPure(b.Left):
                Child(b.Left, g.With($"{_c.Literal(2, b.Kind)} * ({Times(g.Text, Value(b.Left, scope))})"), scope);
                break;

            // (c a) a with c passive: d/da = 2 c a (what g a c + c a g computes, with one product where that has three)
            case BinaryExpr { Op: BinaryOp.Multiply } b when ScaledSquare(b) is ({ } c, { } a):
                string twice = Twice(c, scope);
                Child(a, g.With(twice == _c.Literal(1, b.Kind) ? Times(g.Text, Value(a, scope)) : $"{twice} * ({Times(g.Text, Value(a, scope))})"), scope);
                break;

            // a * b: d/da = b, d/db = a
            case BinaryExpr { Op: BinaryOp.Multiply } b:
                if (_c.Activity.IsActive(b.Left))
                {
                    Child(b.Left, g.With(Times(g.Text, Value(b.Right, scope))), scope);
                }

                if (_c.Activity.IsActive(b.Right))
                {
                    Child(b.Right, g.With(Times(Value(b.Left, scope), g.Text)), scope);
                }

                break;

            // a / b: d/da = 1/b, d/db = -a/b²
            case BinaryExpr { Op: BinaryOp.Divide } b:
                if (_c.Activity.IsActive(b.Left))
                {
                    Child(b.Left, g.With($"{ExprPrinter.Paren(g.Text)} / {ExprPrinter.Paren(Value(b.Right, scope))}"), scope);
                }

                if (_c.Activity.IsActive(b.Right))
                {
                    string r = ExprPrinter.Paren(Value(b.Right, scope));
                    Child(b.Right, new Adjoint($"{ExprPrinter.Paren(g.Text)} * {ExprPrinter.Paren(Value(b.Left, scope))} / ({r} * {r})", !g.Negative), scope);
                }

                break;

            // a % b = a - trunc(a/b) b: d/da = 1, d/db = -trunc(a/b)
            case BinaryExpr { Op: BinaryOp.Remainder } b:
                Child(b.Left, g, scope);
                if (_c.Activity.IsActive(b.Right))
                {
                    string truncate = $"{MathClass(b.Kind)}.Truncate({Value(b.Left, scope)} / {ExprPrinter.Paren(Value(b.Right, scope))})";
                    Child(b.Right, new Adjoint($"{ExprPrinter.Paren(g.Text)} * {truncate}", !g.Negative), scope);
                }

                break;

            // c ? a : b: the adjoint goes to the branch that was taken
            case CondExpr c:
                var whenTrue = new ValueScope(scope);
                var whenFalse = new ValueScope(scope);
                Child(c.WhenTrue, g, whenTrue);
                Child(c.WhenFalse, g, whenFalse);
                var thenBlock = whenTrue.Flatten();
                var elseBlock = whenFalse.Flatten();
                if (!thenBlock.IsEmpty || !elseBlock.IsEmpty)
                {
                    WriteIf(scope.Body, ExprPrinter.Print(c.Condition, n => Lookup(n, scope)), thenBlock, elseBlock);
                }

                break;

            // f(a₀, a₁, ...): daᵢ += g * ∂f/∂aᵢ from the rules table
            case MathCallExpr m:
                string?[] partials = DerivativeRules.Partials(m.Function, RuleContext(m, scope));
                for (int i = 0; i < m.Args.Count; i++)
                {
                    if (partials[i] is { } partial && _c.Activity.IsActive(m.Args[i]))
                    {
                        Child(m.Args[i], g.With(Times(g.Text, partial)), scope);
                    }
                }

                break;

            case CallExpr call:
                EmitVjpCall(call, g.Signed, scope);
                break;
        }
    }

    /// <summary>Passes <paramref name="g"/> to an active child, binding its text to a temp first (the sign stays with it) when the child will use it more than once.</summary>
    private void Child(Expr child, Adjoint g, ValueScope scope)
    {
        if (!_c.Activity.IsActive(child))
        {
            return;
        }

        if (child is VarExpr or ElemExpr || IsIdentifier(g.Text))
        {
            Backprop(child, g, scope);
            return;
        }

        string temp = _c.Temp("__g");
        scope.Body.Line($"{TypeClassifier.Keyword(child.Kind)} {temp} = {g.Text};");
        Backprop(child, g.With(temp), scope);
    }

    // A call to another differentiable function: its VJP, seeded with g, gives the adjoints of the arguments.
    private void EmitVjpCall(CallExpr call, string g, ValueScope scope)
    {
        var arguments = new List<string>();
        var outputs = new List<string>();
        var after = new List<System.Action>();
        for (int i = 0; i < call.Args.Count; i++)
        {
            CalleeParam parameter = call.Callee.Parameters[i];
            Expr arg = call.Args[i];
            arguments.Add(parameter.Shape == ShapeKind.Scalar ? Value(arg, scope) : ((VarExpr)arg).Name);
        }

        arguments.Add(g);
        for (int i = 0; i < call.Args.Count; i++)
        {
            CalleeParam parameter = call.Callee.Parameters[i];
            if (!parameter.Differentiable)
            {
                continue;
            }

            Expr arg = call.Args[i];
            string keyword = TypeClassifier.Keyword(parameter.Kind);
            if (parameter.Shape == ShapeKind.Scalar)
            {
                string d = _c.Temp("__d");
                outputs.Add($"out {keyword} {d}");
                after.Add(() => Child(arg, new Adjoint(d), scope));
                continue;
            }

            // Array adjoints come back in a pooled buffer (a VJP overwrites; ours accumulate).
            string name = ((VarExpr)arg).Name;
            string buffer = _c.Temp("__dbuffer");
            scope.Body.Line($"{keyword}[] {buffer} = {MethodContext.Pool}<{keyword}>.Shared.Rent({name}.Length);");
            outputs.Add($"new global::System.Span<{keyword}>({buffer}, 0, {name}.Length)");
            after.Add(() =>
            {
                if (_c.Activity.IsActive(name))
                {
                    scope.Body.Line($"{TypeRefs.Helpers}.AddTo({_c.Derivative(name)}, new global::System.ReadOnlySpan<{keyword}>({buffer}, 0, {name}.Length));");
                }

                scope.Body.Line($"{MethodContext.Pool}<{keyword}>.Shared.Return({buffer});");
            });
        }

        scope.Body.Line($"{call.Callee.Vjp}({string.Join(", ", arguments.Concat(outputs))});");
        foreach (System.Action action in after)
        {
            action();
        }
    }

    private DerivativeRules.Context RuleContext(MathCallExpr call, ValueScope scope)
        => new(call.Args.Count, i => ExprPrinter.Paren(Value(call.Args[i], scope)), () => ExprPrinter.Paren(Value(call, scope)), call.Class, v => _c.Literal(v, call.Kind));

    /// <summary>
    /// The primal value of a node at this point of the reverse sweep (all inputs restored): leaves and passive
    /// nodes print inline; an active inner node is computed once into a temp.
    /// </summary>
    private string Value(Expr node, ValueScope scope)
    {
        if (node is ConstExpr or VarExpr or ElemExpr or LengthExpr or OpaqueExpr)
        {
            return ExprPrinter.Print(node);
        }

        if (scope.Lookup(node) is { } known)
        {
            return known;
        }

        if (!_c.Activity.IsActive(node))
        {
            return ExprPrinter.Print(node, n => Lookup(n, scope));
        }

        if (_stored is { } stored && node is MathCallExpr call && ExprFacts.IsExpensive(call))
        {
            // Stored in the forward sweep, popped before the chain rule (EmitAssign): one push and pop instead of an Exp.
            string name = _c.Temp("__v");
            stored.Add((node, name));
            scope.Remember(node, name);
            return name;
        }

        string text = ExprPrinter.Print(node, n => ReferenceEquals(n, node) ? null : ExprPrinter.Paren(Value(n, scope)));
        string temp = _c.Temp("__v");
        if (scope.HoistedDeclarations is { } declarations)
        {
            declarations.Line($"{TypeClassifier.Keyword(node.Kind)} {temp} = default;");
            scope.Pre.Line($"{temp} = {text};");
        }
        else
        {
            scope.Pre.Line($"{TypeClassifier.Keyword(node.Kind)} {temp} = {text};");
        }

        scope.Remember(node, temp);
        return temp;
    }

    private static string? Lookup(Expr node, ValueScope scope) => scope.Lookup(node);

    /// <summary><c>(c * a) * a</c>, <c>(a * c) * a</c>, <c>a * (c * a)</c>, <c>a * (a * c)</c> with <c>a</c> active and <c>c</c> passive, both pure: (c, a).</summary>
    private (Expr? Scale, Expr? Operand) ScaledSquare(BinaryExpr product)
    {
        foreach ((Expr inner, Expr other) in new[] { (product.Left, product.Right), (product.Right, product.Left) })
        {
            if (inner is BinaryExpr { Op: BinaryOp.Multiply } scaled && ExprFacts.IsPure(other) && _c.Activity.IsActive(other))
            {
                Expr? scale = scaled.Left.Equals(other) ? scaled.Right : scaled.Right.Equals(other) ? scaled.Left : null;
                if (scale is not null && scale.Kind == product.Kind && ExprFacts.IsPure(scale) && !_c.Activity.IsActive(scale))
                {
                    return (scale, other);
                }
            }
        }

        return (null, null);
    }

    /// <summary>2c: folded for a literal (doubling is exact), else <c>2 * (c)</c>.</summary>
    private string Twice(Expr scale, ValueScope scope)
    {
        if (scale is ConstExpr { Text: var text }
            && double.TryParse(text.TrimEnd('f', 'F', 'd', 'D'), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value))
        {
            return ExprPrinter.Paren(_c.Literal(2 * value, scale.Kind));
        }

        return $"({_c.Literal(2, scale.Kind)} * {ExprPrinter.Paren(Value(scale, scope))})";
    }

    private static string MathClass(ScalarKind kind) => kind == ScalarKind.Float ? "global::System.MathF" : "global::System.Math";

    private static string Times(string a, string b) => ExprPrinter.Paren(a) + " * " + ExprPrinter.Paren(b);

    private static bool IsIdentifier(string text) => text.Length > 0 && (char.IsLetter(text[0]) || text[0] == '_') && text.All(ch => char.IsLetterOrDigit(ch) || ch == '_');
}
