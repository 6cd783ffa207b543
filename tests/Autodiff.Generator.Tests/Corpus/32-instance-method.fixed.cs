// Expect: gradient at 0.7, 1.3
using System;
using Autodiff;

public sealed partial class Model
{
    private readonly double _scale = 2.0;

    public double Apply(double v) => Scaled(v, _scale);

    // Static, with the field's value passed in: no derivative is taken with respect to it.
    [Differentiable]
    public static double Scaled(double v, [NoDerivative] double scale) => v * scale;
}

public static partial class S
{
    [Differentiable]
    public static double F(double[] x) => Model.Scaled(x[0], 2.0) * x[1];
}
