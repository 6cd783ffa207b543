// Expect: gradient at 0.2, 0.5, 0.9
using System;
using Autodiff;

public static partial class S
{
    // A log barrier keeping the values in (0, 1), with the check a solver would make.
    [Differentiable]
    public static double F(double[] x)
    {
        double b = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            if (v <= 0 || v >= 1)
            {
                throw new ArgumentOutOfRangeException(nameof(x), $"x[{i}] = {v} is outside (0, 1)");
            }

            b -= Math.Log(v) + Math.Log(1 - v);
        }

        return b;
    }
}
