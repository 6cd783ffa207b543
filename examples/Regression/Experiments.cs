using Autodiff.Optimizers;

namespace Regression;

public sealed record LinearResult(double W, double B, double LeastSquaresW, double LeastSquaresB, double Mse);

public sealed record ClassificationRun(string Loss, double[] Accuracy, double FinalAccuracy);

public static class Experiments
{
    /// <summary>Fits y = 2x - 1 + noise by gradient descent on the generated MSE gradient; compares with the closed form.</summary>
    public static LinearResult Linear(int seed = 1, int steps = 2000)
    {
        var random = new Random(seed);
        double[] xs = Enumerable.Range(0, 200).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        double[] ys = xs.Select(x => 2 * x - 1 + 0.3 * Gaussian(random)).ToArray();
        double[] p = new double[2];
        double[] g = new double[2];
        var sgd = new Sgd(0.1);
        for (int step = 0; step < steps; step++)
        {
            Losses.LinearMseGradient(p, xs, ys, g);
            sgd.Step<double>(p, g);
        }

        double mx = xs.Average(), my = ys.Average();
        double w = xs.Zip(ys, (x, y) => (x - mx) * (y - my)).Sum() / xs.Sum(x => (x - mx) * (x - mx));
        return new LinearResult(p[0], p[1], w, my - w * mx, Losses.LinearMse(p, xs, ys));
    }

    /// <summary>
    /// Two overlapping classes, a badly initialised model (confidently wrong on half the data) and the same
    /// optimizer and steps for both losses: cross-entropy recovers quickly; MSE on probabilities barely moves,
    /// because σ'(z) is tiny where the model is confidently wrong.
    /// </summary>
    public static (ClassificationRun CrossEntropy, ClassificationRun Mse) Classification(int seed = 2, int steps = 300)
    {
        var random = new Random(seed);
        int n = 400;
        double[] features = new double[2 * n];
        double[] labels = new double[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            double cx = labels[i] == 1 ? 1.0 : -1.0;
            features[2 * i] = cx + Gaussian(random);
            features[2 * i + 1] = cx + Gaussian(random);
        }

        ClassificationRun Train(string name, Func<double[], double> loss, Action<double[], double[]> gradient)
        {
            double[] p = { -4, -4, 0 }; // points the wrong way: confidently wrong on both classes
            double[] g = new double[3];
            var sgd = new Sgd(0.5);
            var accuracy = new double[steps + 1];
            accuracy[0] = Accuracy(p, features, labels);
            for (int step = 1; step <= steps; step++)
            {
                gradient(p, g);
                sgd.Step<double>(p, g);
                accuracy[step] = Accuracy(p, features, labels);
            }

            return new ClassificationRun(name, accuracy, accuracy[^1]);
        }

        var ce = Train("cross-entropy", p => Losses.CrossEntropy(p, features, labels), (p, g) => Losses.CrossEntropyGradient(p, features, labels, g));
        var mse = Train("MSE on probabilities", p => Losses.ProbabilityMse(p, features, labels), (p, g) => Losses.ProbabilityMseGradient(p, features, labels, g));
        return (ce, mse);
    }

    private static double Accuracy(double[] p, double[] features, double[] labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = p[0] * features[2 * i] + p[1] * features[2 * i + 1] + p[2];
            correct += (z > 0 ? 1 : 0) == (int)labels[i] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static void Plot(ClassificationRun a, ClassificationRun b, string path)
    {
        var plot = new ScottPlot.Plot();
        double[] steps = Enumerable.Range(0, a.Accuracy.Length).Select(i => (double)i).ToArray();
        plot.Add.ScatterLine(steps, a.Accuracy.Select(v => 100 * v).ToArray()).LegendText = a.Loss;
        plot.Add.ScatterLine(steps, b.Accuracy.Select(v => 100 * v).ToArray()).LegendText = b.Loss;
        plot.Title("Logistic regression from a confidently wrong start (same SGD, lr 0.5)");
        plot.XLabel("step");
        plot.YLabel("training accuracy (%)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 800, 450);
    }
}
