// Expect: AD0102 at "x[0] switch { < 0 => -x[0], >= 0 => x[0] }"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x) => x[0] switch { < 0 => -x[0], >= 0 => x[0] };
}
