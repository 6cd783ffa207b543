// Expect: gradient at 0.3, -0.8, 0.05
using System;
using Autodiff;

public static partial class S
{
    // Logistic regression on four fixed points, with L2; NaN in the weights is an error.
    [Differentiable]
    public static double F(double[] x)
    {
        double[] features = { 0.5, 1.0, -1.0, 2.0, 1.5, -0.5, -2.0, 0.25 };
        double[] labels = { 1, 0, 1, 0 };
        double loss = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = x[0] * features[2 * i] + x[1] * features[2 * i + 1] + x[2];
            if (double.IsNaN(z))
            {
                throw new InvalidOperationException("NaN in the weights");
            }

            double p = 1 / (1 + Math.Exp(-z));
            loss -= labels[i] * Math.Log(p) + (1 - labels[i]) * Math.Log(1 - p);
        }

        return loss / labels.Length + 0.01 * (x[0] * x[0] + x[1] * x[1]);
    }
}
