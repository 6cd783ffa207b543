// Expect: gradient at 1.3, 0.5
using System;
using Autodiff;

public static partial class S
{
    // x0^9 by recursive squaring, scaled by x1.
    [Differentiable]
    static double Power(double b, int n) => n == 0 ? 1 : n % 2 == 0 ? Square(Power(b, n / 2)) : b * Power(b, n - 1);

    [Differentiable]
    static double Square(double v) => v * v;

    [Differentiable]
    public static double F(double[] x) => Power(x[0], 9) * x[1];
}
