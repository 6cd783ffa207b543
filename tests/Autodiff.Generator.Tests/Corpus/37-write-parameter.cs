// Expect: AD0103 at "x[0]"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        x[0] = Math.Max(x[0], 0);
        return x[0] * x[1];
    }
}
