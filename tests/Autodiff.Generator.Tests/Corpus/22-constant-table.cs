// Expect: gradient at 0.3, 0.6
using System;
using Autodiff;

public static partial class S
{
    // Weights from a table function without a derivative, called on constants only.
    static double Weight(int i) => 1.0 / (1 + i * i);

    [Differentiable]
    public static double F(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += Weight(i) * Math.Sin(x[i]);
        }

        return s;
    }
}
