using Xunit;

namespace Autodiff.IntegrationTests;

public class QuickStartTests
{
    [Fact]
    public void GeneratedGradient_IsCallableAndCorrect()
    {
        double[] w = { 0.5, -1.25, 2.0 };
        double[] dw = new double[3];
        double x = 0.3;
        double value = QuickStart.FGradient(x, w, out double dx, dw);

        double s = w.Sum(wi => Math.Sin(wi * x));
        Assert.Equal(s * s, value, 12);
        Assert.Equal(2 * s * w.Sum(wi => Math.Cos(wi * x) * wi), dx, 10);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.Equal(2 * s * Math.Cos(w[i] * x) * x, dw[i], 10);
        }
    }

    [Fact]
    public void JvpAndVjp_MatchGradient()
    {
        double[] w = { 0.5, -1.25, 2.0 };
        double[] dw = new double[3];
        QuickStart.FGradient(0.3, w, out double dx, dw);
        double[] tw = { 1, 2, 3 };
        var (value, tangent) = QuickStart.FJvp(0.3, w, 0.5, tw);
        Assert.Equal(QuickStart.F(0.3, w), value, 12);
        Assert.Equal(dx * 0.5 + dw[0] + 2 * dw[1] + 3 * dw[2], tangent, 10);

        double[] vw = new double[3];
        QuickStart.FVjp(0.3, w, 2.0, out double vx, vw);
        Assert.Equal(2 * dx, vx, 12);
    }

    [Fact]
    public void FloatFunctions_WorkTheSameWay()
    {
        float value = QuickStart.RosenbrockGradient(-1.2f, 1f, out float da, out float db);
        Assert.Equal(24.2f, value, 3);
        Assert.Equal(-215.6f, da, 2);
        Assert.Equal(-88f, db, 2);
    }

    [Theory]
    [InlineData(-2.0, -1.5, 1.5)]   // linear tail: d/dx = -a, d/da = -(x + 0.5)
    [InlineData(0.4, 0.6, 0.08)]    // quadratic middle: a x, x² / 2
    [InlineData(3.0, 1.5, 2.5)]     // linear tail: a, x - 0.5
    public void SwitchExpression_DifferentiatesTheArmThatRan(double x, double dxExpected, double daExpected)
    {
        double value = QuickStart.SmoothGradient(x, 1.5, out double dx, out double da);
        Assert.Equal(QuickStart.Smooth(x, 1.5), value, 12);
        Assert.Equal(dxExpected, dx, 10);
        Assert.Equal(daExpected, da, 10);
    }

    [Fact]
    public void Composition_WithCustomDerivativeAndNoDerivative()
    {
        double[] w = { 1.0, 2.0 };
        double value = QuickStart.ComposeGradient(0.3, w, 1.5, 2, out double dx);
        double h = 1e-6;
        double fd = (QuickStart.Compose(0.3 + h, w, 1.5, 2) - QuickStart.Compose(0.3 - h, w, 1.5, 2)) / (2 * h);
        Assert.Equal(QuickStart.Compose(0.3, w, 1.5, 2), value, 12);
        Assert.Equal(fd, dx, 6);
    }

    [Fact]
    public void WrongSpanLength_ThrowsClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => QuickStart.FGradient(0.3, new double[3], out _, new double[2]));
        Assert.Contains("'dw' must have the length of 'w' (3), but has 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScalarGradient_DoesNotAllocate()
    {
        double[] w = { 0.5, -1.25, 2.0 };
        double[] dw = new double[3];
        for (int i = 0; i < 100; i++)
        {
            QuickStart.FGradient(0.3, w, out _, dw);
            QuickStart.RosenbrockGradient(1f, 2f, out _, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            QuickStart.FGradient(0.3, w, out _, dw);
            QuickStart.RosenbrockGradient(1f, 2f, out _, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
