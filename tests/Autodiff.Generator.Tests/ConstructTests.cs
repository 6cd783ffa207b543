using System.Reflection;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Every construct of the supported subset, each in a method <c>double F(double x, double y, double[] w)</c>,
/// compiled together once and checked against finite differences, JVP/VJP consistency and, where there is
/// one, the analytic derivative.
/// </summary>
public class ConstructTests
{
    /// <summary>A case: method body, and optionally the analytic (∂/∂x, ∂/∂y) at (x, y, w).</summary>
    public sealed record Case(string Name, string Body, Func<double, double, double[], (double Dx, double Dy)>? Analytic = null, string Signature = "double x, double y, double[] w", string Extra = "", bool FiniteDifferences = true, double Tolerance = 1e-6);

    public static readonly Case[] Cases =
    {
        // Arithmetic, unary minus, compound assignment, reassigned locals
        new("Add", "return x + y;", (x, y, w) => (1, 1)),
        new("Sub", "return x - 3 * y;", (x, y, w) => (1, -3)),
        new("Mul", "return x * y;", (x, y, w) => (y, x)),
        new("Div", "return x / y;", (x, y, w) => (1 / y, -x / (y * y))),
        new("Negate", "return -x * -y;", (x, y, w) => (y, x)),
        new("Remainder", "return (x + 10) % y;", (x, y, w) => (1, -Math.Truncate((x + 10) / y))),
        new("Compound", "double s = x; s += y; s *= x; s -= y; s /= 2; return s;", (x, y, w) => ((2 * x + y) / 2, (x - 1) / 2)),
        new("Reassigned", "double a = x; a = a * a; a = a * y; a = a + x; return a;", (x, y, w) => (2 * x * y + 1, x * x)),
        new("IncrementDouble", "double a = x; a++; a--; a++; return a * y;", (x, y, w) => (y, x + 1)),
        new("ScaledSquares", "double a = x - y; return 100 * a * a + a * (0.5 * a) + (a * y) * a - 3 * y * y;", (x, y, w) => (200 * (x - y) + (x - y) + 2 * y * (x - y), -200 * (x - y) - (x - y) + (x - y) * (x - y) - 2 * y * (x - y) - 6 * y)),
        new("ScaledSquareLoop", "double s = 0; for (int i = 0; i + 1 < w.Length; i++) { double b = w[i + 1] - w[i] * x; s += 100 * b * b + y * (b * y) + b * (i * b); } return s;"),
        new("IntMixed", "int k = 3; double a = x * k; k = k + 2; return a * k + y / k;", (x, y, w) => (15, 0.2)),
        new("Casts", "float f = (float)x; double back = f; return back * y + (int)3.7;", Tolerance: 1e-2),

        // Math functions of the rules table
        new("Exp", "return Math.Exp(x * y);", (x, y, w) => (y * Math.Exp(x * y), x * Math.Exp(x * y))),
        new("Log", "return Math.Log(x * x + y);", (x, y, w) => (2 * x / (x * x + y), 1 / (x * x + y))),
        new("Log2Args", "return Math.Log(x * x + 1, y + 2);"),
        new("Log2", "return Math.Log2(y) * x;", (x, y, w) => (Math.Log2(y), x / (y * Math.Log(2)))),
        new("Log10", "return Math.Log10(y + x * x);"),
        new("Sqrt", "return Math.Sqrt(x * x + y);", (x, y, w) => (x / Math.Sqrt(x * x + y), 0.5 / Math.Sqrt(x * x + y))),
        new("Cbrt", "return Math.Cbrt(y + 1) * x;"),
        new("Pow", "return Math.Pow(y, x);", (x, y, w) => (Math.Pow(y, x) * Math.Log(y), x * Math.Pow(y, x - 1))),
        new("PowConstant", "return Math.Pow(x, 3) + y;", (x, y, w) => (3 * x * x, 1)),
        new("Sin", "return Math.Sin(x) * y;", (x, y, w) => (Math.Cos(x) * y, Math.Sin(x))),
        new("Cos", "return Math.Cos(x * y);", (x, y, w) => (-Math.Sin(x * y) * y, -Math.Sin(x * y) * x)),
        new("Tan", "return Math.Tan(x) + y;", (x, y, w) => (1 / (Math.Cos(x) * Math.Cos(x)), 1)),
        new("Asin", "return Math.Asin(x / 2) + y;"),
        new("Acos", "return Math.Acos(x / 2) * y;"),
        new("Atan", "return Math.Atan(x * y);"),
        new("Atan2", "return Math.Atan2(y, x);", (x, y, w) => (-y / (x * x + y * y), x / (x * x + y * y))),
        new("Sinh", "return Math.Sinh(x) + Math.Cosh(y);", (x, y, w) => (Math.Cosh(x), Math.Sinh(y))),
        new("Tanh", "return Math.Tanh(x * y);"),
        new("Abs", "return Math.Abs(x - y) + Math.Abs(x);"),
        new("MaxMin", "return Math.Max(x, y) * 2 + Math.Min(x, y);"),
        new("Clamp", "return Math.Clamp(x, -0.5, 0.5) + Math.Clamp(y, 0.0, 1.0) + Math.Clamp(0.3, x - 1, y);"),
        new("Fma", "return Math.FusedMultiplyAdd(x, y, x * x);", (x, y, w) => (y + 2 * x, x)),
        new("CopySign", "return Math.CopySign(x * y, y - 0.2) + Math.CopySign(y, -1.0);", (x, y, w) => (Math.Sign(x * y) * Math.Sign(y - 0.2) * y, Math.Sign(x * y) * Math.Sign(y - 0.2) * x - Math.Sign(y))),
        new("ConstantsFromMath", "return Math.PI * x + Math.E * y;", (x, y, w) => (Math.PI, Math.E)),
        new("PiecewiseConstant", "#pragma warning disable AD0301\n return Math.Floor(x * 10) + Math.Round(y) + Math.Ceiling(x) + Math.Truncate(y) + Math.Sign(x) + x * y;\n#pragma warning restore AD0301", (x, y, w) => (y, x), FiniteDifferences: false),

        // Branches, ternary, early return, comparisons, && ||
        new("IfElse", "double r; if (x > y) { r = x * x; } else { r = y * y * x; } return r;"),
        new("IfNoElse", "double r = x; if (x < 1 && y > 0) r = r * y; return r;"),
        new("Ternary", "return x > 0.5 ? x * y : y - x;"),
        new("NestedTernary", "return x > 0 ? (y > 1 ? x * y : x + y) : Math.Sin(y);"),
        // Switch expressions: a conditional chain over relational / constant patterns, and / or / not, guards
        new("SwitchRelational", "return (x - y) switch { < -1.0 => x * y, < 0.0 or > 5.0 => x * x - y, _ => Math.Exp(x) * y };",
            (x, y, w) => (x - y) < -1 ? (y, x) : (x - y) < 0 ? (2 * x, -1) : (Math.Exp(x) * y, Math.Exp(x))),
        new("SwitchConstant", "int k = w.Length; return k switch { 5 => x * y, 3 or 4 when x > 0 => x / y, not 2 => y * y * x, _ => 0.0 };",
            (x, y, w) => w.Length == 5 ? (y, x) : (w.Length is 3 or 4) && x > 0 ? (1 / y, -x / (y * y)) : (y * y, 2 * x * y)),
        // Switch statements: an if / else if chain, default last wherever it stands
        new("SwitchStatement", "double r = 0; switch (w.Length) { case 5: r = x * y; break; case 3 when x < 0: r = x * x * y; break; default: r = y - x; break; case 4: r = Math.Sin(x) * y; break; } return r;",
            (x, y, w) => w.Length == 5 ? (y, x) : w.Length == 3 && x < 0 ? (2 * x * y, x * x) : w.Length == 4 ? (Math.Cos(x) * y, Math.Sin(x)) : (-1, 1)),
        new("SwitchStatementInLoop", "double s = 0; foreach (double v in w) { switch (v) { case < 0.0: s -= v * x; break; case > 1.0: s += y; continue; default: s += v * v * x * y; break; } s *= 1.01; } return s;"),
        new("SwitchStatementReturns", "switch (w.Length) { case 3: return x * y; case 4: { double t = x * x; return t * y; } } return y * y;",
            (x, y, w) => w.Length == 3 ? (y, x) : w.Length == 4 ? (2 * x * y, x * x) : (0, 2 * y)),
        new("SwitchReadme", "return (3 * x) switch { < -1.0 => -y * (3 * x + 0.5), <= 1.0 => 0.5 * y * 9 * x * x, _ => y * (3 * x - 0.5) };",
            (x, y, w) => 3 * x < -1 ? (-3 * y, -(3 * x + 0.5)) : 3 * x <= 1 ? (9 * y * x, 4.5 * x * x) : (3 * y, 3 * x - 0.5)),
        new("IsPattern", "double r = x; if (x is > 0.5 and < 1.0 or < -0.4) r = x * y; bool outside = y is not (> 1.0 and < 2.0); return outside ? r * y : r + y;",
            (x, y, w) => (x is > 0.5 and < 1.0 or < -0.4) ? (y is not (> 1.0 and < 2.0) ? (y * y, 2 * x * y) : (y, x + 1)) : (y is not (> 1.0 and < 2.0) ? (y, x) : (1, 1))),
        new("SwitchInLoop", "double s = 0; foreach (double v in w) s += (v * x) switch { < 0.0 => v * x * y, >= 0.2 and <= 0.4 => y, _ => Math.Sqrt(v * x) }; return s;"),
        new("EarlyReturn", "if (x > 0.5) return x * y; double z = x + y; if (z > 2 || y < 0) return z * z; return z;"),
        new("EarlyReturnInLoop", "double s = 0; for (int i = 0; i < w.Length; i++) { s += w[i] * x; if (s > y) return s * y; } return s - y;"),
        new("BoolLocal", "bool big = x > y; double r = big ? x : y; bool both = big && r > 0; return both ? r * 2 : r * x;"),

        // Loops: for, while, do, foreach, nested, data-dependent trip counts, break, continue
        new("ForFixed", "double s = 0; for (int i = 0; i < 5; i++) s += s * x + y; return s;"),
        new("ForOverArray", "double s = 0; for (int i = 0; i < w.Length; i++) s += w[i] * w[i] * x; return s + y;"),
        new("While", "double s = x; int n = 0; while (n < 4) { s = Math.Sin(s) * y + s; n++; } return s;"),
        new("WhileDataDependent", "double s = x; int n = 0; while (s < 10 && n < 50) { s = s * 1.5 + y; n++; } return s;"),
        new("DoWhile", "double s = x; int n = 0; do { s = s * y + 0.1; n++; } while (n < 3); return s;"),
        new("Foreach", "double s = 0; foreach (double v in w) { s += Math.Sin(v * x) * y; } return s;"),
        new("Nested", "double s = 0; for (int i = 0; i < w.Length; i++) { double t = w[i]; for (int j = 0; j < i; j++) { t = t * x + w[j] * y; } s += t; } return s;"),
        new("Break", "double s = 0; for (int i = 0; i < w.Length; i++) { s += w[i] * x; if (s > y) break; s *= 1.1; } return s;"),
        new("Continue", "double s = 0; for (int i = 0; i < w.Length; i++) { if (w[i] < 0) continue; s += w[i] * x * y; } return s;"),
        new("BreakContinueNested", "double s = x; for (int i = 0; i < 4; i++) { int j = 0; while (true) { j++; if (j > i) break; if (j == 2) continue; s = s * y + w[j % w.Length]; } s = Math.Tanh(s); } return s;"),
        new("LoopCarriedNonlinear", "double s = x; for (int i = 0; i < 6; i++) { s = Math.Sin(s) * y + x * s; } return s;"),

        // Loops fused with their reverse (a final accumulation returned as is) and near misses that are not
        new("FusedSum", "double s = x * y; for (int i = 0; i < w.Length; i++) { double a = w[i] - x; double b = a * y; s += a * b + Math.Sin(b); } return s;"),
        new("FusedBranches", "double s = 0; foreach (double v in w) { double u = v * x; if (u < -0.2) s -= u * y; else if (u < 0.3) s += u * u; else s += Math.Sqrt(u) * y; } return s;"),
        new("FusedNestedIfs", "double s = 0; for (int i = 0; i < w.Length; i++) { double u = w[i] * x; if (u < 0.5) { s += u; if (u * y > 0) s += u * u * y; else s -= Math.Sin(u * y); } else { s += Math.Exp(-u) * y; } } return s;"),
        new("WriteOnceSum", "double s = x; for (int i = 0; i < w.Length; i++) { s += Math.Sin(w[i] * x) * y + w[i] * w[i]; } return s;"),
        new("NotWriteOnceHeadRead", "double s = w[0] * x; for (int i = 0; i < w.Length; i++) { s += w[i] * y; } return s;"),
        new("WriteOnceNeighbour", "double s = 0; for (int i = 0; i < w.Length - 1; i++) { s += Math.Sin(w[i] * w[i + 1]) * x; } return s;"),
        new("NotWriteOnceInBranch", "double s = 0; for (int i = 0; i < w.Length; i++) { if (x > 0.1) s += w[i] * y; else s -= y; } return s;"),
        new("WriteOnceStencil", "double s = 0; for (int i = 0; i < w.Length - 1; i++) { double a = 1 - w[i] * x; double b = w[i + 1] - w[i] * w[i]; s += a * a + y * Math.Tanh(b) * b; } return s;"),
        new("WriteOnceStencilTwo", "double s = 0; for (int i = 0; i < w.Length - 2; i++) { s += Math.Sin(w[i + 2] * x) * w[i] + y * w[i + 2] * w[i + 2]; } return s;"),
        new("WriteOnceStencilBranch", "double s = 0; for (int i = 0; i < w.Length - 1; i++) { double d = w[i + 1] - w[i]; if (d > 0) s += d * x; else s -= d * d * y; } return s;"),
        new("NotWriteOnceStencilBeyondBound", "double s = 0; for (int i = 0; i < w.Length - 1; i++) { s += w[i] * x * (i < 0 ? w[i + 2] : y); } return s;"),
        new("NotWriteOnceFromOne", "double s = 0; for (int i = 1; i < w.Length; i++) { s += w[i] * x; } return s;"),
        new("DoWhileAccumulation", "double s = y; int i = 0; do { double t = w[i % w.Length] * x; s += t * t * y; i++; } while (i < 7); return s;"),
        new("FusedCalls", "double s = 0; for (int i = 0; i < w.Length; i++) { s += Helper.Square(w[i] - x) * Helper.Inner(y, w[i]); } return s;"),
        new("FusedLocalArray", "double[] h = new double[w.Length]; for (int i = 0; i < h.Length; i++) h[i] = Math.Tanh(w[i] * x); double s = 0; for (int i = 0; i < h.Length; i++) { double e = h[i] * y; s += e * e; } return s;"),
        // A loop's assignment whose rule reads its result (tanh, exp, sqrt): the reverse sweep reads the result from the
        // variable before the tape restores it; twice in one body, and beside a recomputed local and an increment of
        // the same variable (which must keep the recomputation).
        new("RecurrenceReadsResult", "double h = y; double loss = 0; for (int t = 0; t < w.Length; t++) { h = Math.Tanh(x * h + w[t]); loss += h * h; } return loss;"),
        new("RecurrenceTwoResults", "double h = y; for (int t = 0; t < w.Length; t++) { h = Math.Exp(-h * x * 0.3); h = Math.Sqrt(h + w[t] * w[t] + 1); } return h * y;"),
        new("RecurrenceResultAndIncrement", "double h = y; for (int t = 0; t < w.Length; t++) { h = Math.Tanh(h * x + w[t]); h = h + 0.25; h = h * y; } return h;"),
        // An adjoint zeroed before branches gets its first update in each branch as an assignment: three-way and
        // nested branches, a loop inside one branch (its updates stay additions), a branch that does not touch it.
        new("BranchesAfterZero", "double s = 0; foreach (double v in w) { if (v < -0.5) { s += v * x; } else { if (v < 0.5) { for (int k = 0; k < 2; k++) s += v * v * y; } else { s += Math.Sqrt(v) * x * y; } } } return s;"),
        new("BranchesSkipOne", "double s = 0; foreach (double v in w) { double a = v * x; if (v > 0.1) { s += a * y; } else { if (v > -0.2) { s += a * a; } else { s += y; } } } return s * x;"),
        new("NotFusedReadsAccumulator", "double s = x; for (int i = 0; i < w.Length; i++) { s += s * 0.1 * y + w[i]; } return s;"),
        new("FusedLocalReassigned", "double s = 0; for (int i = 0; i < w.Length; i++) { double a = w[i] * x; a = a * y; s += a * a; } return s;"),
        // A final loop with a loop inside: fused, the inner loop's forward and reverse both in the iteration (replayed
        // backwards when its running product is active, run again forwards when it is passive).
        new("FusedNestedActiveProduct", "double s = 0; for (int j = 0; j < w.Length; j++) { double inner = 0; double mul = 1; for (int k = 0; k < 4; k++) { inner += w[k % w.Length] * mul; mul *= x * 0.9; } double r = inner - y; s += r * r; } return s;"),
        new("FusedNestedPassiveProduct", "double s = 0; for (int j = 0; j < w.Length; j++) { double inner = 0; double mul = 1; for (int k = 0; k < 4; k++) { inner += w[k % w.Length] * mul * x; mul *= 0.5 + w.Length * 0.1; } double r = inner - y; s += r * r; } return s;"),
        // A pairwise sum: the final loop's last statement is a loop, so each inner iteration is followed by its reverse.
        new("FusedPairs", "double s = 0; for (int i = 0; i < w.Length; i++) { double a = w[i] * x; for (int j = i + 1; j < w.Length; j++) { double d = a - w[j]; s += Math.Sqrt(d * d + y * y) * y; } } return s;"),
        // A loop inside a branch of a fused iteration, replayed backwards: its trip count kept in a method local.
        new("FusedLoopInBranch", "double s = 0; for (int i = 0; i < w.Length; i++) { double a = w[i] * x; if (a > 0.1) { for (int k = 0; k < 3; k++) { a = a * 0.5 + y; } } s += a * a; } return s;"),
        // A value carried across the iterations of a fused loop that the iteration's reverse puts back (a nested loop
        // that writes it): set again after the reverse.
        new("FusedCarriedPassive", "double s = 0; double p = 1; for (int j = 0; j < w.Length; j++) { for (int k = 0; k < 2; k++) { p = p * 0.75 + 0.1; s += w[j] * p * x; } s += p * y; } return s;"),
        new("NotFusedTailUsesAccumulator", "double s = 0; for (int i = 0; i < w.Length; i++) { s += w[i] * x; } return s * y;"),

        // Arrays and spans
        new("SpanParameter", "double s = 0; for (int i = 0; i < w.Length; i++) s += w[i] * Math.Cos(x * i); return s * y;", Signature: "double x, double y, ReadOnlySpan<double> w"),
        new("LocalArray", "double[] h = new double[w.Length]; for (int i = 0; i < h.Length; i++) h[i] = Math.Tanh(w[i] * x + y); double s = 0; for (int i = 0; i < h.Length; i++) s += h[i] * h[i]; return s;"),
        new("LocalArrayOverwrite", "double[] h = new double[3]; h[0] = x; h[1] = y; h[2] = x * y; for (int k = 0; k < 3; k++) { h[k % 3] = h[(k + 1) % 3] * h[k % 3] + 0.5; } return h[0] + h[1] * h[2];"),
        new("StackAlloc", "Span<double> h = stackalloc double[4]; for (int i = 0; i < 4; i++) h[i] = x * i + y; double p = 1; foreach (double v in h) p *= v; return p;"),
        new("ArrayInitializer", "double[] c = new double[] { x, y, x * y }; return c[0] * c[1] + c[2];", (x, y, w) => (2 * y, 2 * x)),
        new("IndexArithmetic", "double s = 0; int n = w.Length; for (int i = 0; i < n; i++) s += w[(i + 1) % n] * w[i] * x; return s + y;"),

        // Calls to other differentiable methods, other types and files, recursion
        new("CallOther", "return Helper.Square(x * y) + Helper.Poly(x, w);"),
        new("CallChain", "return Helper.Outer(x, y);"),
        new("CallInLoop", "double s = 0; for (int i = 0; i < w.Length; i++) s += Helper.Square(w[i] - x) * y; return s;"),
        new("Recursion", "return Helper.Power(x, 4) * y;", (x, y, w) => (4 * x * x * x * y, x * x * x * x)),
        // Calls with array arguments outside loops: evaluated once, by the VJP with seed 1 in the forward sweep; the
        // partials with respect to each array come back in a pooled array that the reverse sweep scales into its adjoint.
        new("CallArrayArguments", "double[] scaled = new double[w.Length]; for (int i = 0; i < w.Length; i++) scaled[i] = w[i] * x; double p = Helper.Poly(y, scaled); return p * Helper.Poly(x, w) + Helper.Poly(y * y, w);"),
        new("CallPassiveArrayArgument", "double[] k = new double[3]; k[0] = 1; k[1] = -2; k[2] = 0.5; return Helper.Poly(x * y, k) + Helper.Poly(x, k) * y;"),
        new("RecursionOverArray", "return Helper.Horner(w, x, 0) * y + Helper.Horner(w, y, 1);"),
        // In a loop's body, a call with an array argument is split too: its partials go on the tapes.
        new("ArrayCallsInALoop", "double s = 0; for (int i = 0; i < 3; i++) { double[] t = new double[w.Length]; for (int k = 0; k < w.Length; k++) t[k] = w[k] * (x + i); s += Helper.Poly(y, t) * x + Helper.Poly(x * i, w); } return s;"),
        new("ArrayCallsInALoopOnExpressions", "double s = 0; for (int i = 0; i < 3; i++) { double[] t = new double[w.Length]; for (int k = 0; k < w.Length; k++) t[k] = Math.Sin(w[k] * (x + i)); double e = Math.Exp(x * 0.5) * y; s += Helper.Poly(Math.Tanh(e + i) * x, t) * Math.Cos(y * i); } return s;"),
        new("DeterminantByCofactors", "double[] m = new double[9]; for (int i = 0; i < 9; i++) m[i] = Math.Sin(x * (i + 1)) + y * w[i % w.Length]; return Helper.Determinant(m, 3) + Helper.Determinant(w, 1);"),
        new("ArrayCallBeforeAFinalLoop", "double p = Helper.Poly(x, w); double s = 0; for (int i = 0; i < w.Length; i++) s += w[i] * y; return s * p;"),
        new("ArrayCallAfterAWriteLoop", "double[] t = new double[w.Length]; for (int i = 0; i < w.Length; i++) t[i] = w[i] * w[i]; double s = 0; for (int i = 0; i < w.Length; i++) s += t[i] * x; return s + Helper.Poly(y, t) + Helper.Poly(s, w);"),
        new("CallWithNoDerivativeArg", "return Helper.Scaled(x, y) + y;", (x, y, w) => (y, 1), FiniteDifferences: false),

        // Custom derivatives
        new("CustomOwned", "return Special.Softplus(x * y) + x;"),
        new("CustomRegistered", "return External.Sigmoid(x) * y;"),
        new("CustomWithJvp", "return External.Cube(x + y);", (x, y, w) => (3 * (x + y) * (x + y), 3 * (x + y) * (x + y))),

        // Non-differentiable parameters and StopGradient
        new("IntAndBool", "double s = x; for (int i = 0; i < n; i++) s = s * y; return flag ? s : -s;", Signature: "double x, double y, double[] w, int n, bool flag", Extra: ", 3, true"),
        new("NoDerivativeParameter", "return x * y * scale;", Signature: "double x, double y, double[] w, [NoDerivative] double scale", Extra: ", 2.5"),
        new("StopGradient", "return x * Ad.StopGradient(x * y) + y;", (x, y, w) => (x * y, 1), FiniteDifferences: false),
        new("StaticReadonlyField", "return x * Helper.Scale + y;", (x, y, w) => (1.75, 1)),
    };

    private const string Support = """
        public static partial class Helper
        {
            public const double ScaleValue = 1.75;
            public static readonly double Scale = ScaleValue;
            [Differentiable] public static double Square(double a) => a * a;
            [Differentiable] public static double Poly(double a, double[] c) { double s = 0; for (int i = 0; i < c.Length; i++) s = s * a + c[i]; return s; }
            [Differentiable] public static double Inner(double a, double b) => Math.Sin(a) * b;
            [Differentiable] public static double Outer(double a, double b) => Inner(a * b, b) + Square(Inner(b, a));
            [Differentiable] public static double Power(double a, int n) => n == 0 ? 1.0 : a * Power(a, n - 1);
            [Differentiable] public static double Horner(double[] c, double a, int i) => i == c.Length ? 0.0 : c[i] + a * Horner(c, a, i + 1);
            [Differentiable]
            public static double Determinant(double[] a, int n)
            {
                if (n == 1) return a[0];
                double total = 0, sign = 1;
                for (int j = 0; j < n; j++)
                {
                    double[] minor = new double[(n - 1) * (n - 1)];
                    for (int r = 1; r < n; r++)
                    {
                        int k = 0;
                        for (int c = 0; c < n; c++)
                        {
                            if (c != j) { minor[(r - 1) * (n - 1) + k] = a[r * n + c]; k++; }
                        }
                    }

                    total += sign * a[j] * Determinant(minor, n - 1);
                    sign = -sign;
                }

                return total;
            }
            [Differentiable] public static double Scaled(double a, [NoDerivative] double k) => a * k;
        }

        public static partial class Special
        {
            [CustomDerivative(nameof(SoftplusVjp))]
            public static double Softplus(double a) => Math.Log(1 + Math.Exp(a));
            public static double SoftplusVjp(double a, double seed, out double da) { da = seed / (1 + Math.Exp(-a)); return Math.Log(1 + Math.Exp(a)); }
        }
        """;

    // A type the user "cannot annotate" (stands for another assembly) and its registered derivatives.
    private const string External = """
        [assembly: Autodiff.RegisterDerivative(typeof(External), nameof(External.Sigmoid), typeof(ExternalDerivatives), nameof(ExternalDerivatives.SigmoidVjp))]
        [assembly: Autodiff.RegisterDerivative(typeof(External), nameof(External.Cube), typeof(ExternalDerivatives), nameof(ExternalDerivatives.CubeVjp), Jvp = nameof(ExternalDerivatives.CubeJvp))]
        public static class External
        {
            public static double Sigmoid(double a) => 1 / (1 + System.Math.Exp(-a));
            public static double Cube(double a) => a * a * a;
        }
        public static class ExternalDerivatives
        {
            public static double SigmoidVjp(double a, double seed, out double da) { double s = External.Sigmoid(a); da = seed * s * (1 - s); return s; }
            public static double CubeVjp(double a, double seed, out double da) { da = seed * 3 * a * a; return a * a * a; }
            public static (double Value, double Tangent) CubeJvp(double a, double ta) => (a * a * a, 3 * a * a * ta);
        }
        """;

    private static readonly Lazy<Type> Compiled = new(() =>
    {
        var cases = string.Join("\n", Cases.Select(c => $"[Differentiable] public static double {c.Name}({c.Signature})\n{{\n{c.Body}\n}}\n" + GradientChecker.Wrappers(c.Name, 2, extra: c.Extra)));
        string source = "using System; using Autodiff;\npublic static partial class Cases\n{\n" + cases + "\n}\n" + Support;
        Assembly assembly = GeneratorHarness.CompileAndLoad(source, External);
        return assembly.GetType("Cases")!;
    });

    public static IEnumerable<object[]> CaseNames() => Cases.Select(c => new object[] { c.Name });

    [Fact]
    public void ACallWithArrayArgumentsOutsideLoops_RunsItsVjpOnce_NotItsPrimalToo()
    {
        // The forward sweep calls the VJP seeded with 1 (value and partials together); the reverse sweep only scales
        // the partials. Before, the forward sweep ran the callee and the reverse sweep its VJP, which runs it again: a
        // recursion over an array did that at every level.
        GeneratorHarness.Result result = GeneratorHarness.Run("using System; using Autodiff;\n" + Support + "\npublic static partial class Use\n{\n"
            + "[Differentiable] public static double F(double x, double[] w) => Helper.Horner(w, x, 0) * x;\n}\n");
        string code = result.Source("Use.F.");
        string vjp = code[code.IndexOf(" FVjp(", StringComparison.Ordinal)..code.IndexOf(" FGradient(", StringComparison.Ordinal)];
        Assert.Contains("global::Helper.HornerVjp(w, x, 0, 1.0, new global::System.Span<double>(", vjp, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(vjp, @"HornerVjp\("));
        Assert.DoesNotContain("global::Helper.Horner(", vjp, StringComparison.Ordinal);

        // Horner's own recursion (an int steps up, the array passed on) runs as two loops: no call of itself, no
        // partials of the array per level.
        string horner = result.Source("Helper.Horner.");
        string hornerVjp = horner[horner.IndexOf(" HornerVjp(", StringComparison.Ordinal)..horner.IndexOf(" HornerGradient(", StringComparison.Ordinal)];
        Assert.DoesNotContain("HornerVjp(c", hornerVjp, StringComparison.Ordinal);
        Assert.Contains("the recursion as a loop", hornerVjp, StringComparison.Ordinal);
    }

    private static readonly (double X, double Y, double[] W)[] Points =
    {
        // Not round numbers, so that no branch condition sits exactly on a tie.
        (0.7137, 1.3291, new[] { 0.5113, -0.3071, 0.8233, 1.1057, -0.6179 }),
        (-0.4123, 2.1377, new[] { 1.5089, 0.2531, -0.9017 }),
        (1.2249, 0.6113, new[] { -0.2083, 0.7121, 0.3347, 0.9061 }),
    };

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void GradientMatchesFiniteDifferencesAndAnalytic(string name)
    {
        Case c = Cases.Single(x => x.Name == name);
        foreach ((double x, double y, double[] w) in Points)
        {
            if (c.FiniteDifferences)
            {
                GradientChecker.AssertCorrect(Compiled.Value, name, new[] { x, y }, w, c.Tolerance);
            }

            if (c.Analytic is { } analytic)
            {
                var g = GradientChecker.Grad(Compiled.Value, name, new[] { x, y }, w);
                (double dx, double dy) = analytic(x, y, w);
                Assert.Equal(dx, g.Scalars[0], 1e-9 * Math.Max(1, Math.Abs(dx)));
                Assert.Equal(dy, g.Scalars[1], 1e-9 * Math.Max(1, Math.Abs(dy)));
            }
        }
    }

    /// <summary>
    /// Adjoints written once per element (the stencils carry updates to the elements ahead into the next iteration and
    /// write the last ones after the loop) at every short length, including those where the loop never runs and the
    /// carried elements are all there is; <c>dw</c> holds garbage before each call.
    /// </summary>
    [Theory]
    [InlineData("WriteOnceSum")]
    [InlineData("WriteOnceNeighbour")]
    [InlineData("WriteOnceStencil")]
    [InlineData("WriteOnceStencilTwo")]
    [InlineData("WriteOnceStencilBranch")]
    public void WrittenOnceAdjointsAreRightAtEveryShortLength(string name)
    {
        var random = new Random(5);
        for (int n = 0; n <= 7; n++)
        {
            double[] w = Enumerable.Range(0, n).Select(_ => Math.Round(random.NextDouble() * 2 - 1, 4) + 1e-5).ToArray();
            GradientChecker.AssertCorrect(Compiled.Value, name, new[] { 0.6131, -0.8117 }, w);
        }
    }
}
