// Expect: gradient at 0.5
using System;
using Autodiff;

public static partial class S
{
    private static int _calls;

    public static double Counted(double[] x)
    {
        _calls++;
        return F(x);
    }

    [Differentiable]
    public static double F(double[] x) => x[0] * 3;
}
