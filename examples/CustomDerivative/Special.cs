using Autodiff;

// A function the generator cannot see into: the Lambert W function, solved by Newton iteration with an
// early exit on convergence. Differentiating through the solver would be slow and numerically poor; the
// implicit function theorem gives the exact derivative in closed form instead: W'(z) = W / (z (1 + W)).
[assembly: RegisterDerivative(typeof(CustomDerivative.ThirdParty), nameof(CustomDerivative.ThirdParty.LambertW),
                              typeof(CustomDerivative.LambertWDerivatives), nameof(CustomDerivative.LambertWDerivatives.LambertWVjp),
                              Jvp = nameof(CustomDerivative.LambertWDerivatives.LambertWJvp))]

namespace CustomDerivative;

/// <summary>Stands for a library you cannot annotate (the registration above is on *your* assembly).</summary>
public static class ThirdParty
{
    /// <summary>Principal branch of Lambert W for z &gt; -1/e: the w with w e^w = z.</summary>
    public static double LambertW(double z)
    {
        double w = z < 1 ? z : Math.Log(z);
        for (int i = 0; i < 100; i++)
        {
            double ew = Math.Exp(w);
            double step = (w * ew - z) / (ew * (w + 1));
            w -= step;
            if (Math.Abs(step) < 1e-15 * (1 + Math.Abs(w)))
            {
                break;
            }
        }

        return w;
    }
}

/// <summary>The registered derivatives: same shapes as generated ones.</summary>
public static class LambertWDerivatives
{
    /// <summary>VJP: returns W(z) and seed · W'(z), with W' = W / (z (1 + W)) (and 1 at z = 0).</summary>
    public static double LambertWVjp(double z, double seed, out double dz)
    {
        double w = ThirdParty.LambertW(z);
        dz = seed * (z == 0 ? 1 : w / (z * (1 + w)));
        return w;
    }

    /// <summary>JVP: W(z) and W'(z) · tz.</summary>
    public static (double Value, double Tangent) LambertWJvp(double z, double tz)
    {
        double w = ThirdParty.LambertW(z);
        return (w, tz * (z == 0 ? 1 : w / (z * (1 + w))));
    }
}

/// <summary>Your model, which calls the third-party function inside [Differentiable] code.</summary>
public static partial class Model
{
    /// <summary>A toy loss: (W(a x²) - y)², differentiable in a and x.</summary>
    [Differentiable]
    public static double Loss(double a, double x, [NoDerivative] double y)
    {
        double w = ThirdParty.LambertW(a * x * x);
        return (w - y) * (w - y);
    }
}
