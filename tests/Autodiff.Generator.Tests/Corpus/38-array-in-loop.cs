// Expect: gradient at 0.7, -1.3
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double s = 0;
        for (int k = 0; k < 2; k++)
        {
            double[] buffer = new double[3];
            buffer[k] = x[k] * x[k];
            s += buffer[k];
        }

        return s;
    }
}
