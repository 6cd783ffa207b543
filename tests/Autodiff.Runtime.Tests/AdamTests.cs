using Autodiff.Optimizers;
using Xunit;

namespace Autodiff.Runtime.Tests;

public class AdamTests
{
    [Fact]
    public void FirstTwoSteps_MatchTheFormulaWithBiasCorrection()
    {
        var adam = new Adam(1, learningRate: 0.1);
        double[] p = { 1.0 };
        adam.Step(p, new[] { 2.0 });
        // m1 = 0.2, v1 = 0.004; m̂ = 2, v̂ = 4: step = 0.1 * 2 / (2 + 1e-8)
        Assert.Equal(1.0 - 0.1 * 2 / (2 + 1e-8), p[0], 12);

        adam.Step(p, new[] { -1.0 });
        double m = 0.9 * 0.2 + 0.1 * -1, v = 0.999 * 0.004 + 0.001 * 1;
        double mHat = m / (1 - 0.81), vHat = v / (1 - 0.999 * 0.999);
        Assert.Equal(1.0 - 0.1 * 2 / (2 + 1e-8) - 0.1 * mHat / (Math.Sqrt(vHat) + 1e-8), p[0], 12);
    }

    [Fact]
    public void DecoupledWeightDecay_ShrinksParameters()
    {
        var adam = new Adam(1, learningRate: 0.1, weightDecay: 0.5);
        double[] p = { 2.0 };
        adam.Step(p, new[] { 0.0 });
        Assert.Equal(2.0 * (1 - 0.1 * 0.5), p[0], 12);
    }

    [Fact]
    public void WrongLength_Throws()
        => Assert.Throws<ArgumentException>(() => new Adam(2).Step(new double[3], new double[3]));
}
