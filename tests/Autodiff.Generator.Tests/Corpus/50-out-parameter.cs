// Expect: AD0004 at "gradient"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x, out double gradient)
    {
        gradient = 2 * x[0];
        return x[0] * x[0];
    }
}
