// Expect: gradient at 0.4, -0.7, 1.0, 0.5, -0.3
using System;
using Autodiff;

// |p(z)|² for p(z) = z³ + c1 z + c0 with complex numbers as a struct of two doubles, by Horner's rule.
public struct Cx
{
    public double Re, Im;

    public Cx(double re, double im)
    {
        Re = re;
        Im = im;
    }

    public static Cx operator +(Cx a, Cx b) => new Cx(a.Re + b.Re, a.Im + b.Im);

    public static Cx operator *(Cx a, Cx b) => new Cx(a.Re * b.Re - a.Im * b.Im, a.Re * b.Im + a.Im * b.Re);

    public double AbsSquared => Re * Re + Im * Im;
}

public static partial class S
{
    [Differentiable]
    public static double F(double[] x)
    {
        var z = new Cx(x[0], x[1]);
        var c1 = new Cx(x[2], 0);
        var c0 = new Cx(x[3], x[4]);
        Cx p = new Cx(1, 0);
        p = p * z;
        p = p * z + c1;
        p = p * z + c0;
        return p.AbsSquared;
    }
}
