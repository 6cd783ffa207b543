// Expect: gradient at 0.5, 1.5, -0.5, 2.0
using System;
using Autodiff;

public static partial class S
{
    // Alternating weights from the index bits.
    [Differentiable]
    public static double F(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int sign = (i & 1) == 0 ? 1 : -1;
            s += sign * x[i] * x[i] * (1 << (i % 3));
        }

        return s;
    }
}
