using System;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Forward mode's rules for operators and functions, shared by the JVP (<see cref="ForwardEmitter"/>, which builds
/// derivative code) and the tangent program of second derivatives (<see cref="Transforms.TangentProgram"/>, which
/// builds primal IR). Each caller says how a child's tangent and value are had (a local, a recomputation, a hoisted
/// temp); leaves, <c>?:</c> and calls of other methods stay with the callers, whose state they need.
/// </summary>
internal static class TangentRules
{
    /// <summary>
    /// The tangent of <paramref name="expr"/> (null when zero), or <paramref name="handled"/> false for a node these rules
    /// do not cover. <paramref name="value"/> is asked only for values a rule reads, and only when the tangent it
    /// multiplies is not zero.
    /// </summary>
    public static Expr? Of(Expr expr, Func<Expr, Expr?> tangent, Func<Expr, Expr> value, out bool handled)
    {
        handled = true;
        switch (expr)
        {
            case UnaryExpr { Op: UnaryOp.Negate } u:
                return tangent(u.Operand) is { } tn ? new UnaryExpr(u.Kind, UnaryOp.Negate, tn) : null;
            case UnaryExpr u:
                return tangent(u.Operand);
            case ConvertExpr c:
                return tangent(c.Operand) is { } tc ? new ConvertExpr(c.Kind, tc) : null;

            // t(a ± b) = ta ± tb
            case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract } b:
                return Sum(tangent(b.Left), tangent(b.Right), b.Op == BinaryOp.Subtract);

            // t(a b) = ta b + a tb
            case BinaryExpr { Op: BinaryOp.Multiply } b:
            {
                Expr? left = tangent(b.Left) is { } tl ? Build.Mul(tl, value(b.Right)) : null;
                Expr? right = tangent(b.Right) is { } tr ? Build.Mul(value(b.Left), tr) : null;
                return Sum(left, right, false);
            }

            // t(a / b) = (ta - (a / b) tb) / b: the quotient is the node's own value, so no second division by b²
            case BinaryExpr { Op: BinaryOp.Divide } b:
            {
                Expr? tl = tangent(b.Left);
                Expr? tr = tangent(b.Right);
                if (tr is null)
                {
                    return tl is null ? null : Build.Div(tl, value(b.Right));
                }

                Expr quotient = value(b);
                return Build.Div(Sum(tl, Build.Mul(quotient, tr), true)!, value(b.Right));
            }

            // t(a % b) = ta - trunc(a / b) tb
            case BinaryExpr { Op: BinaryOp.Remainder } b:
            {
                Expr? right = null;
                if (tangent(b.Right) is { } tr)
                {
                    Expr truncated = Build.Math(b.Kind, "Truncate", Build.Div(value(b.Left), value(b.Right)));
                    right = Build.Mul(new StopGradientExpr(b.Kind, truncated, "Math.Truncate"), tr);
                }

                return Sum(tangent(b.Left), right, true);
            }

            case MathCallExpr m:
                return MathCall(m, tangent, value);

            default:
                handled = false;
                return null;
        }
    }

    // t f(a₀, ...) = Σ ∂f/∂aᵢ taᵢ; for max, min, clamp and abs the tangent of the argument picked, not a sum of 0/1
    // products (the tangent of an argument not picked may be infinite, and 0 · ∞ is NaN).
    private static Expr? MathCall(MathCallExpr m, Func<Expr, Expr?> tangent, Func<Expr, Expr> value)
    {
        var context = new DerivativeRules.Context(m.Args.Count, i => value(m.Args[i]), () => value(m), m.Class, m.Kind);
        if (DerivativeRules.Selection(m.Function, context) is { } selection)
        {
            Expr chosen = Build.Lit(0, m.Kind);
            bool any = false;
            for (int i = selection.Length - 1; i >= 0; i--)
            {
                Expr? t = tangent(m.Args[selection[i].Argument]);
                Expr picked = t is null ? Build.Lit(0, m.Kind) : selection[i].Negated ? new UnaryExpr(m.Kind, UnaryOp.Negate, t) : t;
                any |= t is not null;
                chosen = selection[i].Condition is not { } condition ? picked : new CondExpr(m.Kind, condition, picked, chosen);
            }

            return any ? chosen : null;
        }

        Expr?[] partials = DerivativeRules.Partials(m.Function, context);
        Expr? sum = null;
        for (int i = 0; i < m.Args.Count; i++)
        {
            if (partials[i] is { } partial && tangent(m.Args[i]) is { } t)
            {
                sum = Sum(sum, Build.Mul(partial, t), false);
            }
        }

        return sum;
    }

    /// <summary>a + b or a - b, either possibly zero (null).</summary>
    public static Expr? Sum(Expr? a, Expr? b, bool subtract)
    {
        if (b is null)
        {
            return a;
        }

        if (a is null)
        {
            return subtract ? new UnaryExpr(b.Kind, UnaryOp.Negate, b) : b;
        }

        return subtract ? Build.Sub(a, b) : Build.Add(a, b);
    }
}
