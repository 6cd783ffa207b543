// Expect: AD0103 at "_calls"
using System;
using Autodiff;

public static partial class S
{
    private static int _calls;

    [Differentiable]
    public static double F(double[] x)
    {
        _calls = _calls + 1;
        return x[0] * 3;
    }
}
