// Expect: gradient at 0.5, -2.0
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double[] buffer = new double[3];
        double s = 0;
        for (int k = 0; k < 2; k++)
        {
            buffer[k] = x[k] * x[k];
            s += buffer[k];
        }

        return s;
    }
}
