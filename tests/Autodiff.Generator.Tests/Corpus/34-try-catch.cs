// Expect: AD0101 at "try"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        try
        {
            return Math.Log(x[0]);
        }
        catch (ArithmeticException)
        {
            return 0;
        }
    }
}
