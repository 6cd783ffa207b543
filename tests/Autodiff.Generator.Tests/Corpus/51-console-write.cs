// Expect: AD0101 at "Console.WriteLine(s)"
using System;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        double s = x[0] * x[1];
        Console.WriteLine(s);
        return s;
    }
}
