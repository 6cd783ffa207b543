// Expect: gradient at 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, 0.2
using System;
using Autodiff;

public static partial class S
{
    // A 2-2-1 tanh network on one input pair; x holds the weights and biases.
    [Differentiable]
    public static double F(double[] x)
    {
        double[] input = { 0.5, -1.5 };
        Span<double> hidden = stackalloc double[2];
        for (int j = 0; j < 2; j++)
        {
            hidden[j] = Math.Tanh(x[2 * j] * input[0] + x[2 * j + 1] * input[1] + x[4 + j]);
        }

        double output = x[6] * hidden[0] + x[7] * hidden[1];
        return (output - 0.25) * (output - 0.25);
    }
}
