// Expect: AD0102 at "x.Sum(v => v * v)"
using System;
using System.Linq;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x) => Math.Sqrt(x.Sum(v => v * v));
}
