using System.Globalization;
using Regression;

// Linear regression with MSE, and logistic regression showing why cross-entropy (not MSE) is the loss for
// classification. All gradients come from the Autodiff generator.
string output = args.Length > 0 ? args[0] : Path.Combine("out", "regression");
Directory.CreateDirectory(output);

LinearResult line = Experiments.Linear();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Linear regression on y = 2x - 1 + noise (200 points):"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  gradient descent: w = {line.W:F4}, b = {line.B:F4}, MSE {line.Mse:F4}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  least squares:    w = {line.LeastSquaresW:F4}, b = {line.LeastSquaresB:F4}"));
Console.WriteLine();

var (ce, mse) = Experiments.Classification();
Console.WriteLine("Logistic regression, two overlapping classes, starting confidently wrong:");
foreach (int step in new[] { 0, 10, 25, 50, 100, 300 })
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  step {step,3}: cross-entropy {ce.Accuracy[step],7:P1}   MSE on probabilities {mse.Accuracy[step],7:P1}"));
}

Console.WriteLine("  With the model confidently wrong, σ(z) is near 0 or 1, so the MSE gradient 2(σ - y) σ (1 - σ) is");
Console.WriteLine("  nearly zero; the cross-entropy gradient σ - y stays near ±1 and the model recovers at once.");
string png = Path.Combine(output, "cross-entropy-vs-mse.png");
Experiments.Plot(ce, mse, png);
Console.WriteLine($"  picture: {Path.GetFullPath(png)}");
