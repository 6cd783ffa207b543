// Expect: AD0101 at "goto done;"
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
                goto done;
            }

            s += Math.Sqrt(x[i]);
        }

        done:
        return s;
    }
}
