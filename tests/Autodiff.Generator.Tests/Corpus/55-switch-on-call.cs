// Expect: AD0102 at "Score(x[0])"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    static double Score(double v) => v * v - 1;

    [Differentiable]
    public static double F(double[] x) => Score(x[0]) switch { > 0 => x[0], _ => -x[0] };
}
