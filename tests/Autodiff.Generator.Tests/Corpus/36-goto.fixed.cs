// Expect: gradient at 1.0, 4.0, 0.25
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
            if (x[i] < 0)
            {
                break;
            }

            s += Math.Sqrt(x[i]);
        }

        return s;
    }
}
