// Expect: AD0107 at "p = new Vector3((float)x[0], (float)x[1], (float)x[2])"
using System;
using System.Numerics;
using Autodiff;

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        Vector3 p = new Vector3((float)x[0], (float)x[1], (float)x[2]);
        return p.Length();
    }
}
