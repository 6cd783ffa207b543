// Expect: gradient at 1.0, 2.0, 0.5, -1.0
using System;
using Autodiff;

public static partial class S
{
    // Attention-like weights: a softmax helper that returns the probabilities, then a weighted sum.
    [Differentiable]
    static double[] Softmax(double[] z)
    {
        double max = z[0];
        for (int i = 1; i < z.Length; i++)
        {
            max = Math.Max(max, z[i]);
        }

        double[] p = new double[z.Length];
        double sum = 0;
        for (int i = 0; i < z.Length; i++)
        {
            p[i] = Math.Exp(z[i] - max);
            sum += p[i];
        }

        for (int i = 0; i < z.Length; i++)
        {
            p[i] /= sum;
        }

        return p;
    }

    [Differentiable]
    public static double F(double[] x)
    {
        double[] values = { 3.0, -1.0, 0.5, 2.0 };
        double[] p = Softmax(x);
        double expected = 0;
        for (int i = 0; i < p.Length; i++)
        {
            expected += p[i] * values[i];
        }

        return expected;
    }
}
