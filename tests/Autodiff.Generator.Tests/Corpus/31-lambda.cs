// Expect: AD0107 at "square = v => v * v"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        Func<double, double> square = v => v * v;
        return square(x[0]) + x[1];
    }
}
