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
        // What each loss reaches (recorded: cross-entropy 91.8% after 10 steps and 93.8% at the end; MSE on saturated
        // probabilities 8.3% after 100 steps and 13.5% at the end): a change that breaks training fails the first
        // two, one that stops MSE's stall (a wrong derivative of the probability) the last two.
        Assert.InRange(ce.Accuracy[10], 0.90, 0.95);
        Assert.InRange(ce.FinalAccuracy, 0.92, 0.96);
        Assert.InRange(mse.Accuracy[100], 0.05, 0.12);
        Assert.InRange(mse.FinalAccuracy, 0.10, 0.17);
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
