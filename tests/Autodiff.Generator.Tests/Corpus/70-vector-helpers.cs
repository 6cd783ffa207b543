// Expect: gradient at 0.5, -1.0, 2.0, 0.3
using System;
using Autodiff;

public static partial class S
{
    // Vector code with small helpers that return new arrays, chained.
    [Differentiable]
    static double[] Add(double[] a, double[] b)
    {
        double[] c = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            c[i] = a[i] + b[i];
        }

        return c;
    }

    [Differentiable]
    static double[] Scale(double[] a, double s)
    {
        double[] c = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            c[i] = a[i] * s;
        }

        return c;
    }

    [Differentiable]
    static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    [Differentiable]
    public static double F(double[] x)
    {
        double[] y = Add(x, Scale(x, 0.5));
        double[] z = Scale(Add(y, x), x[0]);
        return Dot(y, z) + z[1];
    }
}
