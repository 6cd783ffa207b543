// Expect: gradient at 0.4, -0.9, 1.2
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
            double a = x[i] * (i + 1);
            s += a / (1 + Math.Abs(a));
        }

        return s;
    }
}
