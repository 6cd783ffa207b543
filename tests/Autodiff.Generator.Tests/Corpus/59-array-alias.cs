// Expect: AD0102 at "alias = x"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double[] alias = x;
        return alias[0] * alias[1];
    }
}
