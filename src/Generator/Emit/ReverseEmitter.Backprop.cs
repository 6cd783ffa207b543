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
    /// An adjoint on its way down: <see cref="Value"/>, negated when <see cref="Negative"/>. A minus sign is carried,
    /// not written, until the adjoint reaches a leaf, where it becomes a subtraction or folds into a literal factor
    /// (<c>dx = -2.0 * (__g6 * x) - __g3</c>): writing it at each <c>a - b</c> and <c>-a</c> cost Rosenbrock a
    /// negated temp and a sign flip per point. Negation is exact, so the values are the same.
    /// </summary>
    private readonly struct Adjoint
    {
        public Adjoint(Expr value, bool negative = false)
        {
            Value = value;
            Negative = negative;
        }

        public Expr Value { get; }

        public bool Negative { get; }

        /// <summary>The adjoint as one expression, its sign applied.</summary>
        public Expr Signed => Negative ? AccumulationMerger.Negate(Value) : Value;

        public Adjoint Negated() => new(Value, !Negative);

        /// <summary>Another value (the adjoint times a partial derivative), the same sign.</summary>
        public Adjoint With(Expr value) => new(value, Negative);
    }

    private void Backprop(Expr expr, Adjoint g, ValueScope scope)
    {
        switch (expr)
        {
            case VarExpr v when _c.Activity.IsActive(v.Name):
                scope.Accumulate(Build.Var(v.Kind, _c.Derivative(v.Name)), g.Signed);
                break;

            case ElemExpr e when _c.Activity.IsActive(e.Array):
                scope.Accumulate(new ElemExpr(e.Kind, _c.Derivative(e.Array), e.Index), g.Signed);
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
                Child(c.Operand, g.With(new ConvertExpr(c.Operand.Kind, g.Value)), scope);
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
                Child(b.Left, g.With(Build.Mul(Build.Lit(2, b.Kind), Build.Mul(g.Value, Value(b.Left, scope)))), scope);
                break;

            // (c a) a with c passive: d/da = 2 c a (what g a c + c a g computes, with one product where that has three)
            case BinaryExpr { Op: BinaryOp.Multiply } b when ScaledSquare(b) is ({ } c, { } a):
                Expr? twice = Twice(c, scope);
                Expr product = Build.Mul(g.Value, Value(a, scope));
                Child(a, g.With(twice is null ? product : Build.Mul(twice, product)), scope);
                break;

            // a * b: d/da = b, d/db = a
            case BinaryExpr { Op: BinaryOp.Multiply } b:
                if (_c.Activity.IsActive(b.Left))
                {
                    Child(b.Left, g.With(Build.Mul(g.Value, Value(b.Right, scope))), scope);
                }

                if (_c.Activity.IsActive(b.Right))
                {
                    Child(b.Right, g.With(Build.Mul(Value(b.Left, scope), g.Value)), scope);
                }

                break;

            // a / b: d/da = 1/b, d/db = -a/b²
            case BinaryExpr { Op: BinaryOp.Divide } b:
                if (_c.Activity.IsActive(b.Left))
                {
                    Child(b.Left, g.With(Build.Div(g.Value, Value(b.Right, scope))), scope);
                }

                if (_c.Activity.IsActive(b.Right))
                {
                    Expr r = Value(b.Right, scope);
                    Child(b.Right, new Adjoint(Build.Div(Build.Mul(g.Value, Value(b.Left, scope)), Build.Mul(r, r)), !g.Negative), scope);
                }

                break;

            // a % b = a - trunc(a/b) b: d/da = 1, d/db = -trunc(a/b)
            case BinaryExpr { Op: BinaryOp.Remainder } b:
                Child(b.Left, g, scope);
                if (_c.Activity.IsActive(b.Right))
                {
                    Expr truncate = Build.Math(b.Kind, "Truncate", Build.Div(Value(b.Left, scope), Value(b.Right, scope)));
                    Child(b.Right, new Adjoint(Build.Mul(g.Value, truncate), !g.Negative), scope);
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
                    scope.Body.Add(new IfCode(scope.Known(c.Condition), thenBlock, elseBlock));
                }

                break;

            // f(a₀, a₁, ...): daᵢ += g * ∂f/∂aᵢ from the rules table
            case MathCallExpr m:
                Expr?[] partials = DerivativeRules.Partials(m.Function, RuleContext(m, scope));
                for (int i = 0; i < m.Args.Count; i++)
                {
                    if (partials[i] is { } partial && _c.Activity.IsActive(m.Args[i]))
                    {
                        Child(m.Args[i], g.With(Build.Mul(g.Value, partial)), scope);
                    }
                }

                break;

            case CallExpr call:
                EmitVjpCall(call, g.Signed, scope);
                break;
        }
    }

    /// <summary>Passes <paramref name="g"/> to an active child, binding it to a temp first (the sign stays with it) when the child will use it more than once.</summary>
    private void Child(Expr child, Adjoint g, ValueScope scope)
    {
        if (!_c.Activity.IsActive(child))
        {
            return;
        }

        if (child is VarExpr or ElemExpr || g.Value is VarExpr)
        {
            Backprop(child, g, scope);
            return;
        }

        string temp = _c.Temp("__g");
        scope.Body.Add(new DeclareCode(TypeClassifier.Keyword(child.Kind), temp, g.Value));
        Backprop(child, g.With(Build.Var(child.Kind, temp)), scope);
    }

    // A call to another differentiable function: its VJP, seeded with g, gives the adjoints of the arguments.
    private void EmitVjpCall(CallExpr call, Expr g, ValueScope scope)
    {
        var arguments = new List<Expr>();
        var outputs = new List<Expr>();
        var after = new List<System.Action>();
        for (int i = 0; i < call.Args.Count; i++)
        {
            CalleeParam parameter = call.Callee.Parameters[i];
            Expr arg = call.Args[i];
            arguments.Add(parameter.Shape == ShapeKind.Scalar ? Value(arg, scope) : arg);
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
            if (parameter.Shape == ShapeKind.Scalar)
            {
                string d = _c.Temp("__d");
                outputs.Add(new OutExpr(parameter.Kind, d, Declare: true));
                after.Add(() => Child(arg, new Adjoint(Build.Var(parameter.Kind, d)), scope));
                continue;
            }

            // Array adjoints come back in a pooled buffer (a VJP overwrites; ours accumulate).
            string name = ((VarExpr)arg).Name;
            string buffer = _c.Temp("__dbuffer");
            var length = new LengthExpr(name);
            scope.Body.Add(new DeclareCode(TypeClassifier.Keyword(parameter.Kind) + "[]", buffer, new RentExpr(parameter.Kind, length)));
            outputs.Add(new SpanExpr(parameter.Kind, buffer, length, ReadOnly: false));
            after.Add(() =>
            {
                if (_c.Activity.IsActive(name))
                {
                    scope.Body.Add(new AddSpanCode(_c.Derivative(name), parameter.Kind, buffer, length));
                }

                scope.Body.Add(new ReturnCode(parameter.Kind, buffer, IfRented: false));
            });
        }

        scope.Body.Add(new CallCode(new InvokeExpr(call.Kind, call.Callee.Vjp, new EquatableArray<Expr>(arguments.Concat(outputs)))));
        foreach (System.Action action in after)
        {
            action();
        }
    }

    private DerivativeRules.Context RuleContext(MathCallExpr call, ValueScope scope)
        => new(call.Args.Count, i => Value(call.Args[i], scope), () => Value(call, scope), call.Class, call.Kind);

    /// <summary>
    /// The primal value of a node at this point of the reverse sweep (all inputs restored): leaves and passive
    /// nodes are used as they are; an active inner node is computed once into a temp.
    /// </summary>
    private Expr Value(Expr node, ValueScope scope)
    {
        if (node is ConstExpr or VarExpr or ElemExpr or LengthExpr or OpaqueExpr)
        {
            return node;
        }

        if (scope.Lookup(node) is { } known)
        {
            return known;
        }

        if (!_c.Activity.IsActive(node))
        {
            return scope.Known(node);
        }

        if (_stored is { } stored && node is MathCallExpr call && ExprFacts.IsExpensive(call))
        {
            // Stored in the forward sweep, popped before the chain rule (EmitAssign): one push and pop instead of an Exp.
            string name = _c.Temp("__v");
            stored.Add((node, name));
            scope.Remember(node, Build.Var(node.Kind, name));
            return Build.Var(node.Kind, name);
        }

        Expr value = Build.Substitute(node, n => ReferenceEquals(n, node) ? null : Value(n, scope));
        string temp = _c.Temp("__v");
        string keyword = TypeClassifier.Keyword(node.Kind);
        if (scope.HoistedDeclarations is { } declarations)
        {
            declarations.Add(new DeclareCode(keyword, temp, new OpaqueExpr(node.Kind, "default")));
            scope.Pre.Add(new AssignCode(Build.Var(node.Kind, temp), value));
        }
        else
        {
            scope.Pre.Add(new DeclareCode(keyword, temp, value));
        }

        scope.Remember(node, Build.Var(node.Kind, temp));
        return Build.Var(node.Kind, temp);
    }

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

    /// <summary>2c: folded for a literal (doubling is exact; null when that makes 1), else <c>2 * c</c>.</summary>
    private Expr? Twice(Expr scale, ValueScope scope)
    {
        if (scale is ConstExpr { Text: var text }
            && double.TryParse(text.TrimEnd('f', 'F', 'd', 'D'), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value))
        {
            return 2 * value == 1 ? null : Build.Lit(2 * value, scale.Kind);
        }

        return Build.Mul(Build.Lit(2, scale.Kind), Value(scale, scope));
    }
}
