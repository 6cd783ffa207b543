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
        using System; using Autodiff;
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
}
