using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Max, Min, Clamp and Abs exactly at their ties, where finite differences cannot decide. The rules (DerivativeRules):
/// Max and Min send the derivative to their first argument on a tie, Clamp to the value while lo &lt;= v &lt;= hi, Abs
/// has derivative 0 at 0 (and at -0). Reverse (gradient) and forward (JVP along each argument) must agree.
/// </summary>
public class TieTests
{
    private static readonly Lazy<Type> Functions = new(() => GeneratorHarness.CompileAndLoad("""
        using System; using System.Collections.Generic; using Autodiff;
        namespace Ties;
        public static partial class F
        {
            [Differentiable] public static double Max(double a, double b) => Math.Max(a, b);
            [Differentiable] public static double Min(double a, double b) => Math.Min(a, b);
            [Differentiable] public static double Relu(double a) => Math.Max(a, 0.0);
            [Differentiable] public static double Abs(double a) => Math.Abs(a);
            [Differentiable] public static double Clamp(double v, double lo, double hi) => Math.Clamp(v, lo, hi);
            [Differentiable] public static float MaxF(float a, float b) => MathF.Max(a, b);

            public static double[] Two(string name, double a, double b) => name switch
            {
                "Max" => new[] { MaxGradient(a, b, out double da, out double db), da, db, MaxJvp(a, b, 1, 0).Tangent, MaxJvp(a, b, 0, 1).Tangent },
                "Min" => new[] { MinGradient(a, b, out double da, out double db), da, db, MinJvp(a, b, 1, 0).Tangent, MinJvp(a, b, 0, 1).Tangent },
                _ => new[] { (double)MaxFGradient((float)a, (float)b, out float fa, out float fb), fa, fb, MaxFJvp((float)a, (float)b, 1, 0).Tangent, MaxFJvp((float)a, (float)b, 0, 1).Tangent },
            };

            // Running minima and maxima over an array (selection loops: only the picked iteration is differentiated).
            [Differentiable] public static double RunMin(double[] x, double s)
            {
                double best = double.PositiveInfinity;
                for (int i = 0; i < x.Length; i++) best = Math.Min(best, s * x[i]);
                return best;
            }

            [Differentiable] public static double RunMax(double[] x, double s)
            {
                double best = double.NegativeInfinity;
                for (int i = 0; i < x.Length; i++) best = Math.Max(best, s * x[i]);
                return best;
            }

            // The value, then the gradient, then the JVP along each parameter.
            public static double[] Running(bool min, double[] x)
            {
                var dx = new double[x.Length];
                double value = min ? RunMinGradient(x, 1.0, dx, out double ds) : RunMaxGradient(x, 1.0, dx, out ds);
                var r = new List<double> { min ? RunMin(x, 1.0) : RunMax(x, 1.0), value };
                r.AddRange(dx);
                r.Add(ds);
                for (int i = 0; i <= x.Length; i++)
                {
                    var t = new double[x.Length];
                    if (i < x.Length) t[i] = 1;
                    r.Add(min ? RunMinJvp(x, 1.0, t, i == x.Length ? 1 : 0).Tangent : RunMaxJvp(x, 1.0, t, i == x.Length ? 1 : 0).Tangent);
                }

                return r.ToArray();
            }

            public static double[] One(string name, double a) => name == "Relu"
                ? new[] { ReluGradient(a, out double da), da, ReluJvp(a, 1).Tangent }
                : new[] { AbsGradient(a, out double db), db, AbsJvp(a, 1).Tangent };

            public static double[] Three(double v, double lo, double hi)
                => new[] { ClampGradient(v, lo, hi, out double dv, out double dlo, out double dhi), dv, dlo, dhi, ClampJvp(v, lo, hi, 1, 0, 0).Tangent, ClampJvp(v, lo, hi, 0, 1, 0).Tangent, ClampJvp(v, lo, hi, 0, 0, 1).Tangent };
        }
        """).GetType("Ties.F", throwOnError: true)!);

    private static double[] Call(string method, params object[] arguments) => (double[])Functions.Value.GetMethod(method)!.Invoke(null, arguments)!;

    [Theory]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("MaxF")]
    public void A_tie_sends_the_derivative_to_the_first_argument(string name)
    {
        double[] r = Call("Two", name, 1.5, 1.5);
        Assert.Equal(new[] { 1.5, 1.0, 0.0, 1.0, 0.0 }, r);
    }

    [Fact]
    public void Off_the_tie_the_larger_or_smaller_argument_gets_it()
    {
        Assert.Equal(new[] { 2.0, 0.0, 1.0, 0.0, 1.0 }, Call("Two", "Max", 1.0, 2.0));
        Assert.Equal(new[] { 1.0, 0.0, 1.0, 0.0, 1.0 }, Call("Two", "Min", 2.0, 1.0));
    }

    // xUnit takes 0.0 and -0.0 for the same data, so the sign is its own argument.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Max_with_zero_at_zero_passes_the_derivative(bool negativeZero)
        => Assert.Equal(new[] { 1.0, 1.0 }, Call("One", "Relu", negativeZero ? -0.0 : 0.0)[1..]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Abs_has_derivative_zero_at_zero(bool negativeZero)
        => Assert.Equal(new[] { 0.0, 0.0 }, Call("One", "Abs", negativeZero ? -0.0 : 0.0)[1..]);

    [Theory]
    [InlineData(-2.0, -1.0)]
    [InlineData(3.0, 1.0)]
    public void Abs_off_zero_is_the_sign(double x, double derivative)
        => Assert.Equal(new[] { derivative, derivative }, Call("One", "Abs", x)[1..]);

    [Theory]
    [InlineData(1.0, 1.0, 0.0, 0.0)]    // v == lo: the value is returned
    [InlineData(2.0, 1.0, 0.0, 0.0)]    // v == hi: the value is returned
    [InlineData(0.5, 0.0, 1.0, 0.0)]    // below: lo
    [InlineData(2.5, 0.0, 0.0, 1.0)]    // above: hi
    public void Clamp_sends_the_derivative_to_what_it_returns(double v, double dv, double dlo, double dhi)
    {
        double[] r = Call("Three", v, 1.0, 2.0);
        Assert.Equal(new[] { dv, dlo, dhi }, r[1..4]);
        Assert.Equal(new[] { dv, dlo, dhi }, r[4..]);
    }

    // A running minimum's forward sweep takes a strictly better candidate without calling Math.Min and skips a strictly
    // worse one; ties, signed zeros and NaN go through Math.Min and the rule's own test. The value must be the
    // function's to the bit (Math.Min(0, -0) is -0, a NaN stays), and the gradient the JVPs.
    [Theory]
    [InlineData(true, new[] { 3.0, 1.0, 2.0, 1.0 })]
    [InlineData(false, new[] { 3.0, 1.0, 3.0, 2.0 })]
    [InlineData(true, new[] { 0.0, -0.0, 0.0 })]
    [InlineData(false, new[] { -0.0, 0.0, -0.0 })]
    [InlineData(true, new[] { 2.0, double.NaN, 1.0 })]
    [InlineData(false, new[] { double.NaN, 2.0, 5.0 })]
    [InlineData(true, new[] { double.PositiveInfinity, double.PositiveInfinity })]
    public void Running_minima_and_maxima_keep_the_functions_value_and_its_derivative_at_ties(bool min, double[] x)
    {
        double[] r = (double[])Functions.Value.GetMethod("Running")!.Invoke(null, new object[] { min, x })!;
        Assert.Equal(BitConverter.DoubleToInt64Bits(r[0]), BitConverter.DoubleToInt64Bits(r[1]));
        int n = x.Length + 1;
        Assert.Equal(r[2..(2 + n)], r[(2 + n)..]);
    }
}
