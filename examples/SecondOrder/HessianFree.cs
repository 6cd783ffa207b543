using System.Diagnostics;
using Autodiff;
using Autodiff.Data;
using Autodiff.Layers;
using Autodiff.Optimizers;

namespace SecondOrder;

/// <summary>
/// The Digits classifier of examples/Digits (Dense → ReLU → Dense, softmax cross-entropy), with an L2 term so that the
/// training loss has a minimum. The generator writes <c>LossGradient</c> and, for the Hessian-free method,
/// <c>LossHvp</c>: the exact product of the loss's Hessian with a direction, forward over reverse.
/// </summary>
[Model]
public sealed partial class DigitsNet
{
    public DigitsNet(int inputs, int hidden, int seed)
    {
        var random = new Random(seed);
        Hidden = new Dense(inputs, hidden, random);
        Output = new Dense(hidden, 10, random, xavier: true);
    }

    public Dense Hidden { get; }

    public Dense Output { get; }

    [Differentiable]
    public Tensor Forward(Tensor x) => Output.Forward(Tensor.Relu(Hidden.Forward(x)));

    [Differentiable]
    public float Loss(Tensor x, int[] labels, float decay)
        => Tensor.SoftmaxCrossEntropy(Forward(x), labels) + decay * (Tensor.Sum(Hidden.Weight * Hidden.Weight) + Tensor.Sum(Output.Weight * Output.Weight));
}

/// <summary>One training run's loss against time and the test accuracy it reached.</summary>
public sealed record TrainingTrace(string Name, List<(double Seconds, double Loss)> Points, int Steps, double TestAccuracy, int HessianProducts);

/// <summary>
/// Hessian-free training (Martens 2010) of the Digits classifier on the bundled optdigits set, full batch, against Adam
/// on the same full batch: each Hessian-free step solves (H + λI) p = -g by conjugate gradients with
/// <c>LossHvp</c> products, stopping at negative curvature, and adapts λ by the ratio of actual to predicted decrease
/// (Levenberg-Marquardt).
/// </summary>
public static class HessianFree
{
    public const float Decay = 1e-5f;

    /// <summary>
    /// Trains with Hessian-free steps for <paramref name="seconds"/> (or <paramref name="steps"/> steps), then with Adam
    /// as long, on the first <paramref name="rows"/> training rows (all by default).
    /// </summary>
    public const int Hidden = 64;

    public static (TrainingTrace HessianFree, TrainingTrace Adam) Compare(int steps, double seconds, int rows = int.MaxValue)
    {
        LabeledData train = Datasets.OptDigitsTrain(), test = Datasets.OptDigitsTest();
        if (rows < train.Count)
        {
            train = train.Select(Enumerable.Range(0, rows).ToArray());
        }

        (Tensor x, int[] labels) = Batch(train);
        (Tensor testX, int[] testLabels) = Batch(test);
        TrainingTrace hf = Run("Hessian-free (CG on LossHvp)", Hidden, x, labels, testX, testLabels, steps, seconds, HessianFreeSteps);
        TrainingTrace adam = Run("Adam, full batch, lr 1e-2", Hidden, x, labels, testX, testLabels, int.MaxValue, hf.Points[^1].Seconds, AdamSteps);
        return (hf, adam);
    }

    private delegate IEnumerable<int> Method(DigitsNet model, Tensor x, int[] labels);

    private static TrainingTrace Run(string name, int hidden, Tensor x, int[] labels, Tensor testX, int[] testLabels, int steps, double seconds, Method method)
    {
        var model = new DigitsNet(x.Columns, hidden, seed: 1);
        var points = new List<(double, double)> { (0, model.Loss(x, labels, Decay)) };
        var clock = Stopwatch.StartNew();
        int taken = 0, products = 0;
        foreach (int hvps in method(model, x, labels))
        {
            taken++;
            products += hvps;
            points.Add((clock.Elapsed.TotalSeconds, model.Loss(x, labels, Decay)));
            if (taken >= steps || clock.Elapsed.TotalSeconds >= seconds)
            {
                break;
            }
        }

        return new TrainingTrace(name, points, taken, Accuracy(model, testX, testLabels), products);
    }

    /// <summary>Adam steps on the full batch; yields after each.</summary>
    private static IEnumerable<int> AdamSteps(DigitsNet model, Tensor x, int[] labels)
    {
        var adam = new Adam(1e-2);
        DigitsNet.Gradient gradient = model.CreateGradient();
        while (true)
        {
            model.LossGradient(x, labels, Decay, gradient);
            model.Step(adam, gradient);
            yield return 0;
        }
    }

    /// <summary>Hessian-free steps; yields the number of Hessian-vector products each took.</summary>
    private static IEnumerable<int> HessianFreeSteps(DigitsNet model, Tensor x, int[] labels)
    {
        DigitsNet.Gradient gradient = model.CreateGradient(), step = model.CreateGradient(), residual = model.CreateGradient();
        DigitsNet.Gradient direction = model.CreateGradient(), product = model.CreateGradient(), saved = model.CreateGradient();
        double lambda = 1.0;
        while (true)
        {
            float loss = model.LossGradient(x, labels, Decay, gradient);

            // Conjugate gradients on (H + λI) p = -g, started from the last step shrunk a little (Martens' warm start):
            // r = -g - (H + λI) p, d = r.
            Scale(step, 0.95);
            model.LossHvp(x, labels, Decay, step, product);
            int products = 1;
            Axpy(product, lambda, step);
            Copy(gradient, residual, -1);
            Axpy(residual, -1, product);
            residual.CopyTo(direction);
            double rr = Dot(residual, residual), start = Dot(gradient, gradient);
            for (int k = 0; k < 50 && rr > 1e-10 * start; k++)
            {
                model.LossHvp(x, labels, Decay, direction, product);
                products++;
                Axpy(product, lambda, direction);
                double curvature = Dot(direction, product);
                if (curvature <= 0)
                {
                    break; // negative curvature along d: keep the step so far (or the gradient step, first time)
                }

                double alpha = rr / curvature;
                Axpy(step, alpha, direction);
                Axpy(residual, -alpha, product);
                double next = Dot(residual, residual);
                Scale(direction, next / rr);
                Axpy(direction, 1, residual);
                rr = next;
            }

            if (Dot(gradient, step) >= 0)
            {
                Copy(gradient, step, -1 / (1 + lambda)); // not a descent direction (curvature went negative at once): a gradient step
            }

            // The quadratic model's predicted decrease, g·p + ½ p·(H + λI)p, from one more product.
            model.LossHvp(x, labels, Decay, step, product);
            products++;
            double predicted = Dot(gradient, step) + 0.5 * (Dot(step, product) + lambda * Dot(step, step));
            model.CopyTo(saved);
            Axpy(model, 1, step);
            double actual = model.Loss(x, labels, Decay) - loss;
            double ratio = predicted < 0 ? actual / predicted : -1;
            if (actual > 0 || double.IsNaN(actual))
            {
                saved.CopyTo(model); // rejected: back to where we were, more damping, no warm start
                Fill(step, 0);
            }

            lambda = ratio < 0.25 ? lambda * 1.5 : ratio > 0.75 ? lambda / 1.5 : lambda;
            yield return products;
        }
    }

    /// <summary>Steps, Hessian-vector products, seconds, final training loss and test accuracy per run.</summary>
    public static void Print(IEnumerable<TrainingTrace> traces, TextWriter output)
    {
        output.WriteLine(FormattableString.Invariant($"Digits classifier (64-{Hidden}-10, ReLU), the 3,823 optdigits training rows as one batch, L2 {Decay:G2}:"));
        output.WriteLine($"  {"method",-30} {"steps",6} {"HVPs",6} {"seconds",8} {"training loss",14} {"test accuracy",14}");
        foreach (TrainingTrace trace in traces)
        {
            output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  {trace.Name,-30} {trace.Steps,6} {trace.HessianProducts,6} {trace.Points[^1].Seconds,8:F2} {trace.Points[^1].Loss,14:F5} {trace.TestAccuracy,14:P2}"));
        }

        output.WriteLine();
    }

    /// <summary>Training loss (log scale) against seconds, one line per method.</summary>
    public static void Draw(IEnumerable<TrainingTrace> traces, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (TrainingTrace trace in traces)
        {
            var line = plot.Add.ScatterLine(trace.Points.Select(p => p.Seconds).ToArray(), trace.Points.Select(p => Math.Log10(p.Loss)).ToArray());
            line.LegendText = $"{trace.Name}: test {trace.TestAccuracy:P1}";
            line.LineWidth = 2;
        }

        plot.Title("Digits classifier, full batch: Hessian-free against Adam");
        plot.XLabel("seconds");
        plot.YLabel("log10(training loss)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 800, 550);
    }

    /// <summary>The fraction of rows whose largest score is the label.</summary>
    public static double Accuracy(DigitsNet model, Tensor x, int[] labels)
    {
        Tensor scores = model.Forward(x);
        int right = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            ReadOnlySpan<float> row = scores.Span.Slice(r * scores.Columns, scores.Columns);
            int best = 0;
            for (int c = 1; c < row.Length; c++)
            {
                best = row[c] > row[best] ? c : best;
            }

            right += best == labels[r] ? 1 : 0;
        }

        return (double)right / labels.Length;
    }

    /// <summary>The whole set as one batch, pixel counts 0..16 scaled to 0..1.</summary>
    private static (Tensor X, int[] Labels) Batch(LabeledData data)
    {
        var x = new Tensor(data.Count, data.FeatureCount);
        for (int i = 0; i < data.Features.Length; i++)
        {
            x[i] = (float)(data.Features[i] / 16.0);
        }

        return (x, data.Labels);
    }

    private static double Dot(ITensorSet a, ITensorSet b)
        => a.Tensors().Zip(b.Tensors(), (p, q) => (double)System.Numerics.Tensors.TensorPrimitives.Dot<float>(p.Value.Span, q.Value.Span)).Sum();

    /// <summary>y += a · x</summary>
    private static void Axpy(ITensorSet y, double a, ITensorSet x)
    {
        foreach ((NamedTensor p, NamedTensor q) in y.Tensors().Zip(x.Tensors()))
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(q.Value.Span, (float)a, p.Value.Span, p.Value.Span);
        }
    }

    /// <summary>to = a · from</summary>
    private static void Copy(ITensorSet from, ITensorSet to, double a)
    {
        foreach ((NamedTensor p, NamedTensor q) in from.Tensors().Zip(to.Tensors()))
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(p.Value.Span, (float)a, q.Value.Span);
        }
    }

    private static void Scale(ITensorSet set, double a) => Copy(set, set, a);

    private static void Fill(ITensorSet set, float value)
    {
        foreach (NamedTensor t in set.Tensors())
        {
            t.Value.Span.Fill(value);
        }
    }
}
