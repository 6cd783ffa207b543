using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>Central finite differences against generated float gradients, shared by the model tests.</summary>
internal static class FiniteDifferences
{
    /// <summary>
    /// For each (name, value, gradient): perturbs entries by ±<paramref name="h"/> and asserts
    /// |fd - g| &lt;= 3e-3 · |fd| + 1e-3 · max|g| (relative, plus an absolute part scaled to the tensor's largest
    /// gradient entry, so that a batch-averaged gradient of entries near 1e-3 is still checked: the old floor of
    /// 3e-3 · max(1, |fd|) could not tell such an entry from zero or from its negative) plus the rounding of the
    /// loss itself: a float loss is off by a few ulps, 8 · 2⁻²⁴ · |loss| allowed, which the difference quotient
    /// divides by 2h (negligible for losses near 1; for a loss of 10⁴ at h = 10⁻² it is 0.2). <paramref name="samples"/>
    /// entries per tensor drawn from a generator seeded with <paramref name="seed"/>, or every entry when null. An
    /// entry that fails is measured again with the five-point stencil (truncation h⁴ instead of h²).
    /// </summary>
    public static void Check(IEnumerable<(string Name, Tensor Value, Tensor Gradient)> tensors, Func<float> loss, int? samples, float h = 1e-2f, int seed = 2)
    {
        var random = new Random(seed);
        foreach ((string name, Tensor value, Tensor gradient) in tensors)
        {
            double largest = 0;
            for (int j = 0; j < gradient.Length; j++)
            {
                largest = Math.Max(largest, Math.Abs(gradient[j]));
            }

            double Allowed(double fd, double rounding) => 3e-3 * Math.Abs(fd) + 1e-3 * largest + rounding;
            for (int k = 0; k < (samples ?? value.Length); k++)
            {
                int i = samples is null ? k : random.Next(value.Length);
                float saved = value[i];
                value[i] = saved + h;
                double plus = loss();
                value[i] = saved - h;
                double minus = loss();
                value[i] = saved;
                double fd = (plus - minus) / (2 * h);
                double rounding = 8 * Math.Pow(2, -24) * Math.Max(Math.Abs(plus), Math.Abs(minus)) / (2 * h);
                if (Math.Abs(fd - gradient[i]) > Allowed(fd, rounding))
                {
                    // The central difference is off by h² f⁽³⁾ / 6 (0.4% in a random model whose loss chains
                    // tanh(2 tanh(...)) six times, seed 404); the five-point stencil, off by h⁴ f⁽⁵⁾ / 30, decides.
                    // A wrong derivative fails both. Its rounding is at most 1.5x the central difference's.
                    value[i] = saved + 2 * h;
                    double plus2 = loss();
                    value[i] = saved - 2 * h;
                    double minus2 = loss();
                    value[i] = saved;
                    fd = (8 * (plus - minus) - (plus2 - minus2)) / (12 * h);
                    double largestLoss = Math.Max(Math.Max(Math.Abs(plus), Math.Abs(minus)), Math.Max(Math.Abs(plus2), Math.Abs(minus2)));
                    rounding = 1.5 * 8 * Math.Pow(2, -24) * largestLoss / (2 * h);
                }

                Assert.True(Math.Abs(fd - gradient[i]) <= Allowed(fd, rounding), $"{name}[{i}]: finite differences {fd}, generated {gradient[i]} (loss {plus})");
            }
        }
    }

    /// <summary>parameters += h · direction: a step along a gradient-shaped direction, for differences along it.</summary>
    public static void Shift(ITensorSet model, ITensorSet direction, float h)
    {
        foreach ((_, Tensor value, Tensor d) in Pairs(model, direction))
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(d.Span, h, value.Span, value.Span);
        }
    }

    /// <summary>Every tensor of a model with its gradient, by dotted name (the two structures must match).</summary>
    public static IEnumerable<(string Name, Tensor Value, Tensor Gradient)> Pairs(ITensorSet model, ITensorSet gradient)
        => model.Tensors().Zip(gradient.Tensors(), (p, g) =>
        {
            Assert.Equal(p.Name, g.Name);
            return (p.Name, p.Value, g.Value);
        });
}
