// Expect: gradient at 1.0, 2.0, 2.0
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += x[i] * x[i];
        }

        return Math.Sqrt(s);
    }
}
