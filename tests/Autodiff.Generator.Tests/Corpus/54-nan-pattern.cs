// Expect: AD0102 at "double.NaN"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x) => x[0] switch { double.NaN => 0, _ => x[0] * x[0] };
}
