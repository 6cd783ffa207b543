using Xunit;

namespace Autodiff.Runtime.Tests;

public class SmallExampleTests
{
    [Fact]
    public void Regression_GradientDescentMatchesLeastSquares()
    {
        var line = Regression.Experiments.Linear();
        Assert.Equal(line.LeastSquaresW, line.W, 6);
        Assert.Equal(line.LeastSquaresB, line.B, 6);
        Assert.InRange(line.W, 1.9, 2.1);
    }

    [Fact]
    public void Regression_CrossEntropyRecoversWhereMseStalls()
    {
        var (ce, mse) = Regression.Experiments.Classification();
        Assert.True(ce.Accuracy[10] > 0.9, $"cross-entropy after 10 steps: {ce.Accuracy[10]:P1}");
        Assert.True(mse.Accuracy[100] < 0.5, $"MSE after 100 steps: {mse.Accuracy[100]:P1}");
    }

    [Fact]
    public void CustomDerivative_RegisteredForAThirdPartyFunction_IsUsed()
    {
        double loss = CustomDerivative.Model.LossGradient(1.5, 0.8, 0.3, out double da, out double dx);
        double h = 1e-6;
        Assert.Equal(CustomDerivative.Model.Loss(1.5, 0.8, 0.3), loss, 12);
        Assert.Equal((CustomDerivative.Model.Loss(1.5 + h, 0.8, 0.3) - CustomDerivative.Model.Loss(1.5 - h, 0.8, 0.3)) / (2 * h), da, 7);
        Assert.Equal((CustomDerivative.Model.Loss(1.5, 0.8 + h, 0.3) - CustomDerivative.Model.Loss(1.5, 0.8 - h, 0.3)) / (2 * h), dx, 7);
        Assert.Equal(da, CustomDerivative.Model.LossJvp(1.5, 0.8, 0.3, 1, 0).Tangent, 12);
    }
}
