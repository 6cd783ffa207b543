// Expect: gradient at 0.2, 1.1, -0.4, 0.9
using System;
using Autodiff;

public static partial class S
{
    // Cross-entropy of a softmax against class 2.
    [Differentiable]
    public static double F(double[] x)
    {
        const int label = 2;
        double max = x[0];
        for (int i = 1; i < x.Length; i++)
        {
            if (x[i] > max)
            {
                max = x[i];
            }
        }

        double z = 0;
        for (int i = 0; i < x.Length; i++)
        {
            z += Math.Exp(x[i] - max);
        }

        return Math.Log(z) + max - x[label];
    }
}
