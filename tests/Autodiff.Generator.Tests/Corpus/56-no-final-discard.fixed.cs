// Expect: gradient at -0.4
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x) => x[0] switch { < 0 => -x[0], _ => x[0] };
}
