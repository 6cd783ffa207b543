// Expect: AD0001 at "Scaled"
using System;
using Autodiff;

public sealed partial class Model
{
    private readonly double _scale = 2.0;

    // An instance method reading a field.
    [Differentiable]
    public double Scaled(double v) => v * _scale;
}

public static partial class S
{
    [Differentiable]
    public static double F(double[] x) => x[0] * x[0];
}
