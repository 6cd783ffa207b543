// Expect: gradient at 0.5, -1.0
using System;
using Autodiff;

// System.Numerics.Complex is a library type whose methods the generator cannot read: a struct of your own instead.
public struct Cplx
{
    public double Re, Im;

    public Cplx(double re, double im)
    {
        Re = re;
        Im = im;
    }

    public static Cplx operator *(Cplx a, Cplx b) => new Cplx(a.Re * b.Re - a.Im * b.Im, a.Re * b.Im + a.Im * b.Re);

    public double Magnitude => Math.Sqrt(Re * Re + Im * Im);
}

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        Cplx z = new Cplx(x[0], x[1]);
        return (z * z).Magnitude;
    }
}
