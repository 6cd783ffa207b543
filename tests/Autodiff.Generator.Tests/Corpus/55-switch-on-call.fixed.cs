// Expect: gradient at 1.5
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    static double Score(double v) => v * v - 1;

    [Differentiable]
    public static double F(double[] x)
    {
        double score = Score(x[0]);
        return score switch { > 0 => x[0], _ => -x[0] };
    }
}
