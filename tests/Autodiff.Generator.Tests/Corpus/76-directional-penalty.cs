// Expect: gradient at 0.6, -0.2, 1.1
using System;
using Autodiff;

public static partial class S
{
    // A penalty on the slope of a potential along a fixed direction.
    [Differentiable(SecondOrder = true)]
    static double Potential(double[] q)
    {
        double e = 0;
        for (int i = 0; i < q.Length; i++)
        {
            e += Math.Cos(q[i]) * (i + 1);
        }

        return e;
    }

    [Differentiable]
    public static double F(double[] x)
    {
        double[] direction = { 1.0, -1.0, 0.5 };
        var (value, slope) = PotentialJvp(x, direction);
        return value + slope * slope;
    }
}
