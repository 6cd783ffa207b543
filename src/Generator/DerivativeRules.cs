using System;
using System.Collections.Generic;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator;

/// <summary>
/// The one table of derivative rules for functions (operators live in the transforms, where the chain rule
/// for + - * / is two lines each). Each rule gives the partial derivatives ∂f/∂aᵢ as IR expressions in terms of
/// the arguments aᵢ and the result r; reverse mode emits <c>daᵢ += g * ∂f/∂aᵢ</c>, forward mode
/// <c>t = Σ ∂f/∂aᵢ * taᵢ</c>. A function without a rule is a diagnostic (AD0104), never a silent zero.
/// </summary>
internal static class DerivativeRules
{
    /// <summary>What a rule may use: the argument values, the result value, the math class and typed literals.</summary>
    internal sealed class Context
    {
        public Context(int arity, Func<int, Expr> argument, Func<Expr> result, string mathClass, ScalarKind kind)
        {
            A = new Arguments(arity, argument);
            ResultFactory = result;
            C = mathClass;
            Kind = kind;
        }

        /// <summary>Argument values (temps, leaves or literals), each materialised only when a rule asks for it: tanh's
        /// rule reads only the result, so an argument the reverse sweep would have to recompute is not computed.</summary>
        public Arguments A { get; }

        /// <summary>The result value; materialised only when a rule asks for it.</summary>
        public Expr R => _result ??= ResultFactory();

        /// <summary>The class the call went to: <c>global::System.Math</c> or <c>global::System.MathF</c>.</summary>
        public string C { get; }

        /// <summary>The call's type.</summary>
        public ScalarKind Kind { get; }

        /// <summary>A literal of the call's type (<c>1.0</c> or <c>1.0f</c>).</summary>
        public Expr L(double value) => new ConstExpr(Kind, Literal.Number(value, Kind));

        public Expr Call(string function, params Expr[] args) => new MathCallExpr(Kind, C, function, new EquatableArray<Expr>(args));

        public Expr Add(Expr a, Expr b) => new BinaryExpr(Kind, BinaryOp.Add, a, b);

        public Expr Sub(Expr a, Expr b) => new BinaryExpr(Kind, BinaryOp.Subtract, a, b);

        public Expr Mul(Expr a, Expr b) => new BinaryExpr(Kind, BinaryOp.Multiply, a, b);

        public Expr Div(Expr a, Expr b) => new BinaryExpr(Kind, BinaryOp.Divide, a, b);

        public Expr Neg(Expr a) => new UnaryExpr(Kind, UnaryOp.Negate, a);

        public Expr If(Expr condition, Expr whenTrue, Expr whenFalse) => new CondExpr(Kind, condition, whenTrue, whenFalse);

        public static Expr And(Expr a, Expr b) => new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalAnd, a, b);

        private Func<Expr> ResultFactory { get; }

        private Expr? _result;
    }

    /// <summary>Argument values computed on first use, then reused.</summary>
    internal sealed class Arguments
    {
        private readonly Expr?[] _values;
        private readonly Func<int, Expr> _factory;

        public Arguments(int arity, Func<int, Expr> factory) => (_values, _factory) = (new Expr?[arity], factory);

        public int Length => _values.Length;

        public Expr this[int index] => _values[index] ??= _factory(index);
    }

    private delegate Expr?[] Rule(Context c);

    private static Expr Ge(Expr a, Expr b) => Emit.Build.Compare(BinaryOp.GreaterOrEqual, a, b);

    private static Expr Le(Expr a, Expr b) => Emit.Build.Compare(BinaryOp.LessOrEqual, a, b);

    private static Expr Gt(Expr a, Expr b) => Emit.Build.Compare(BinaryOp.Greater, a, b);

    private static Expr Lt(Expr a, Expr b) => Emit.Build.Compare(BinaryOp.Less, a, b);

    private static readonly Dictionary<(string Name, int Arity), Rule> Rules = new()
    {
        // d/da e^a = e^a
        [("Exp", 1)] = c => new[] { c.R },
        // d/da ln a = 1/a
        [("Log", 1)] = c => new[] { c.Div(c.L(1), c.A[0]) },
        // log_b a = ln a / ln b:  ∂/∂a = 1/(a ln b),  ∂/∂b = -ln a / (b (ln b)²)
        [("Log", 2)] = c => new[]
        {
            c.Div(c.L(1), c.Mul(c.A[0], c.Call("Log", c.A[1]))),
            c.Div(c.Neg(c.Call("Log", c.A[0])), c.Mul(c.Mul(c.A[1], c.Call("Log", c.A[1])), c.Call("Log", c.A[1]))),
        },
        // d/da log2 a = 1/(a ln 2)
        [("Log2", 1)] = c => new[] { c.Div(c.L(1), c.Mul(c.A[0], c.L(0.6931471805599453))) },
        // d/da log10 a = 1/(a ln 10)
        [("Log10", 1)] = c => new[] { c.Div(c.L(1), c.Mul(c.A[0], c.L(2.302585092994046))) },
        // d/da √a = 1/(2√a)
        [("Sqrt", 1)] = c => new[] { c.Div(c.L(0.5), c.R) },
        // d/da ∛a = 1/(3 ∛a²)
        [("Cbrt", 1)] = c => new[] { c.Div(c.L(1), c.Mul(c.Mul(c.L(3), c.R), c.R)) },
        // a^b:  ∂/∂a = b a^(b-1),  ∂/∂b = a^b ln a (taken as 0 where a <= 0, as JAX and PyTorch do at a = 0)
        [("Pow", 2)] = c => new[]
        {
            c.Mul(c.A[1], c.Call("Pow", c.A[0], c.Sub(c.A[1], c.L(1)))),
            c.If(Gt(c.A[0], c.L(0)), c.Mul(c.R, c.Call("Log", c.A[0])), c.L(0)),
        },
        // d/da sin a = cos a
        [("Sin", 1)] = c => new[] { c.Call("Cos", c.A[0]) },
        // d/da cos a = -sin a
        [("Cos", 1)] = c => new[] { c.Neg(c.Call("Sin", c.A[0])) },
        // d/da tan a = 1 + tan² a
        [("Tan", 1)] = c => new[] { c.Add(c.L(1), c.Mul(c.R, c.R)) },
        // d/da asin a = 1/√(1 - a²)
        [("Asin", 1)] = c => new[] { c.Div(c.L(1), c.Call("Sqrt", c.Sub(c.L(1), c.Mul(c.A[0], c.A[0])))) },
        // d/da acos a = -1/√(1 - a²)
        [("Acos", 1)] = c => new[] { c.Div(c.L(-1), c.Call("Sqrt", c.Sub(c.L(1), c.Mul(c.A[0], c.A[0])))) },
        // d/da atan a = 1/(1 + a²)
        [("Atan", 1)] = c => new[] { c.Div(c.L(1), c.Add(c.L(1), c.Mul(c.A[0], c.A[0]))) },
        // atan2(y, x):  ∂/∂y = x/(x² + y²),  ∂/∂x = -y/(x² + y²)
        [("Atan2", 2)] = c => new[]
        {
            c.Div(c.A[1], c.Add(c.Mul(c.A[1], c.A[1]), c.Mul(c.A[0], c.A[0]))),
            c.Div(c.Neg(c.A[0]), c.Add(c.Mul(c.A[1], c.A[1]), c.Mul(c.A[0], c.A[0]))),
        },
        // d/da sinh a = cosh a
        [("Sinh", 1)] = c => new[] { c.Call("Cosh", c.A[0]) },
        // d/da cosh a = sinh a
        [("Cosh", 1)] = c => new[] { c.Call("Sinh", c.A[0]) },
        // d/da tanh a = 1 - tanh² a
        [("Tanh", 1)] = c => new[] { c.Sub(c.L(1), c.Mul(c.R, c.R)) },
        // d/da |a| = sign a (0 at 0, the subgradient JAX picks)
        [("Abs", 1)] = c => new[] { c.If(Gt(c.A[0], c.L(0)), c.L(1), c.If(Lt(c.A[0], c.L(0)), c.L(-1), c.L(0))) },
        // max(a, b): the derivative goes to the larger argument (to a on ties)
        [("Max", 2)] = c => new[]
        {
            c.If(Ge(c.A[0], c.A[1]), c.L(1), c.L(0)),
            c.If(Ge(c.A[0], c.A[1]), c.L(0), c.L(1)),
        },
        // min(a, b): the derivative goes to the smaller argument (to a on ties)
        [("Min", 2)] = c => new[]
        {
            c.If(Le(c.A[0], c.A[1]), c.L(1), c.L(0)),
            c.If(Le(c.A[0], c.A[1]), c.L(0), c.L(1)),
        },
        // clamp(v, lo, hi): the derivative goes to whichever of v, lo, hi is returned
        [("Clamp", 3)] = c => new[]
        {
            c.If(Context.And(Ge(c.A[0], c.A[1]), Le(c.A[0], c.A[2])), c.L(1), c.L(0)),
            c.If(Lt(c.A[0], c.A[1]), c.L(1), c.L(0)),
            c.If(Context.And(Gt(c.A[0], c.A[2]), Ge(c.A[0], c.A[1])), c.L(1), c.L(0)),
        },
        // copysign(a, b) = ±a with b's sign:  ∂/∂a = 1 where the result has a's sign, else -1;  ∂/∂b = 0 (almost everywhere)
        [("CopySign", 2)] = c => new Expr?[] { c.If(Ge(c.Mul(c.A[0], c.R), c.L(0)), c.L(1), c.L(-1)), null },
        // fma(a, b, c) = a b + c:  ∂/∂a = b,  ∂/∂b = a,  ∂/∂c = 1
        [("FusedMultiplyAdd", 3)] = c => new[] { c.A[1], c.A[0], c.L(1) },
    };

    /// <summary>
    /// The same derivatives for the functions that pick one argument (or its negation): per argument the condition
    /// under which the result is that argument (null: otherwise), and its sign. Forward mode writes the tangent as a
    /// choice, <c>a &gt;= b ? ta : tb</c>, rather than <c>(a &gt;= b ? 1 : 0) * ta + (a &gt;= b ? 0 : 1) * tb</c>: the
    /// tangent of an argument not picked may be infinite or NaN (it overflowed on its way), and 0 · ∞ is NaN where the
    /// function itself is differentiable. The conditions agree with <see cref="Rules"/> (ties included).
    /// </summary>
    private static readonly Dictionary<(string Name, int Arity), Func<Context, (Expr? Condition, int Argument, bool Negated)[]>> Selections = new()
    {
        // max(a, b): a when a >= b, else b
        [("Max", 2)] = c => new[] { (Ge(c.A[0], c.A[1]), 0, false), ((Expr?)null, 1, false) },
        // min(a, b): a when a <= b, else b
        [("Min", 2)] = c => new[] { (Le(c.A[0], c.A[1]), 0, false), ((Expr?)null, 1, false) },
        // clamp(v, lo, hi): v when lo <= v <= hi, lo when v < lo, else hi
        [("Clamp", 3)] = c => new[] { (Context.And(Ge(c.A[0], c.A[1]), Le(c.A[0], c.A[2])), 0, false), (Lt(c.A[0], c.A[1]), 1, false), ((Expr?)null, 2, false) },
        // |a|: a when a > 0, -a when a < 0, 0 at 0
        [("Abs", 1)] = c => new[] { ((Expr?)Gt(c.A[0], c.L(0)), 0, false), (Lt(c.A[0], c.L(0)), 0, true) },
    };

    /// <summary>
    /// For a function that picks one of its arguments: the conditions, tested in order, under which its derivative
    /// is that argument's (negated where marked; a null condition always holds); none true means zero. Null for other functions.
    /// </summary>
    public static (Expr? Condition, int Argument, bool Negated)[]? Selection(string name, Context context)
        => Selections.TryGetValue((name, context.A.Length), out var rule) ? rule(context) : null;

    private static readonly HashSet<string> PiecewiseConstant = new() { "Floor", "Ceiling", "Round", "Truncate", "Sign" };

    /// <summary>Whether <c>Math.<paramref name="name"/></c> with <paramref name="arity"/> arguments has a rule.</summary>
    public static bool Has(string name, int arity) => Rules.ContainsKey((name, arity));

    /// <summary>Functions whose derivative is zero almost everywhere (reported with AD0301 on active arguments).</summary>
    public static bool IsPiecewiseConstant(string name) => PiecewiseConstant.Contains(name);

    /// <summary>The partial derivatives of <paramref name="name"/>, one per argument.</summary>
    public static Expr?[] Partials(string name, Context context) => Rules[(name, context.A.Length)](context);
}
