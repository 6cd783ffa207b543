using SecondOrder;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// examples/SecondOrder: Newton's method with the generated Hessian converges in a handful of iterations where gradient
/// descent and Adam take hundreds to thousands, Levenberg-Marquardt with the generated Jacobian fits the curve, and the
/// pictures are written.
/// </summary>
[Collection(ThreadCount.Collection)]
public class SecondOrderExampleTests
{
    [Fact]
    public void Newton_And_LevenbergMarquardt_ReachTheToleranceInFewIterations()
    {
        List<Trace> rosenbrock = Experiments.Rosenbrock(50_000);
        Assert.InRange(rosenbrock[0].IterationsTo(Experiments.Tolerance) ?? int.MaxValue, 1, 40);
        Assert.True(rosenbrock[1].IterationsTo(Experiments.Tolerance) is null or > 1000, "gradient descent should need far more iterations");

        List<Trace> logistic = Experiments.Logistic(5_000);
        Assert.InRange(logistic[0].IterationsTo(Experiments.Tolerance) ?? int.MaxValue, 1, 12);
        Assert.True(logistic[1].IterationsTo(Experiments.Tolerance) is null or > 50);

        (List<Trace> fit, double[] parameters) = Experiments.CurveFit(5_000);
        Assert.InRange(fit[0].IterationsTo(Experiments.Tolerance) ?? int.MaxValue, 1, 20);
        Assert.Equal(2.5, parameters[0], 1);
        Assert.Equal(0.8, parameters[1], 1);
        Assert.Equal(0.3, parameters[2], 1);

        string directory = Directory.CreateTempSubdirectory("second-order").FullName;
        try
        {
            string png = Path.Combine(directory, "rosenbrock.png");
            Experiments.Draw("Rosenbrock", rosenbrock, png);
            Assert.True(new FileInfo(png).Length > 10_000);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void HessianOfTheLogisticLoss_IsTheAnalyticOne()
    {
        // H = (1/N) Σ σ(m)(1 - σ(m)) x xᵀ + λ I, with m the margin -y w·x.
        (double[] features, double[] labels) = Experiments.LogisticData(50, 4, seed: 3);
        double[] w = { 0.3, -0.2, 0.5, 0.1 };
        var h = new double[4, 4];
        Problems.LogisticHessian(w, features, labels, 0.01, h);
        for (int a = 0; a < 4; a++)
        {
            for (int b = 0; b < 4; b++)
            {
                double expected = a == b ? 0.01 : 0;
                for (int i = 0; i < labels.Length; i++)
                {
                    double z = Enumerable.Range(0, 4).Sum(j => w[j] * features[i * 4 + j]);
                    double s = 1 / (1 + Math.Exp(labels[i] * z));
                    expected += s * (1 - s) * features[i * 4 + a] * features[i * 4 + b] / labels.Length;
                }

                Assert.Equal(expected, h[a, b], 12);
            }
        }
    }

    [Fact]
    public void TheStepSize_TunedByDifferentiatingThroughTheSteps_IsAsGoodAsTheBestOfAGrid()
    {
        // The gradient through 50 steps (each calling RosenbrockGradient) against central differences in the log-rate.
        double at = Math.Log(2e-3), h = 1e-5;
        double value = Problems.AfterStepsGradient(at, 50, out double slope);
        Assert.Equal(Problems.AfterSteps(at, 50), value, 12);
        double fd = (Problems.AfterSteps(at + h, 50) - Problems.AfterSteps(at - h, 50)) / (2 * h);
        Assert.True(Math.Abs(slope - fd) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"slope {slope}, finite differences {fd}");

        Experiments.StepSize tuned = Experiments.TuneStepSize(200);
        Assert.True(tuned.Loss < tuned.StartLoss / 10, $"{tuned}");
        Assert.True(tuned.Loss <= tuned.GridLoss * 1.05, $"{tuned}");
    }

    [Fact]
    public void HessianFreeSteps_OnTheDigitsClassifier_LowerTheLossAndNeverRaiseIt()
    {
        // From the start (softmax nearly uniform, loss ln 10) the first steps are short: the exact Hessian has directions
        // of negative curvature there, where conjugate gradients stop. Ten steps on 500 rows take the loss down by more
        // than 0.02 (a few seconds with scalar kernels; no time limit, so that a slow host does not cut the steps short).
        // In the thread-count collection: its products keep the worker pool busy, and tests there check that their
        // own ops reach the pool.
        (TrainingTrace hessianFree, TrainingTrace adam) = HessianFree.Compare(steps: 10, seconds: double.PositiveInfinity, rows: 500);
        Assert.Equal(10, hessianFree.Steps);
        Assert.True(hessianFree.HessianProducts >= 10, $"{hessianFree.HessianProducts} products");
        List<double> losses = hessianFree.Points.Select(p => p.Loss).ToList();
        Assert.True(losses[^1] < losses[0] - 0.02, $"loss {losses[0]} -> {losses[^1]}");
        for (int i = 1; i < losses.Count; i++)
        {
            Assert.True(losses[i] <= losses[i - 1], $"step {i} raised the loss: {losses[i - 1]} -> {losses[i]} (a rejected step must be undone)");
        }

        Assert.True(adam.Steps > 0 && adam.TestAccuracy > 0.1);
        string png = Path.Combine(Directory.CreateTempSubdirectory("hessian-free").FullName, "hessian-free.png");
        HessianFree.Draw(new[] { hessianFree, adam }, png);
        Assert.True(new FileInfo(png).Length > 10_000);
        Directory.Delete(Path.GetDirectoryName(png)!, recursive: true);
    }
}
