using Autodiff;

namespace Autodiff.IntegrationTests;

// The README's quick start, compiled by the real SDK with the generator loaded as an analyzer.
public static partial class QuickStart
{
    [Differentiable]
    public static double F(double x, double[] w)
    {
        double s = 0;
        for (int i = 0; i < w.Length; i++)
        {
            s += Math.Sin(w[i] * x);
        }

        return s * s;
    }

    [Differentiable]
    public static float Rosenbrock(float a, float b) => (1f - a) * (1f - a) + 100f * (b - a * a) * (b - a * a);

    // The README's piecewise example: a switch expression, through the SDK's own compiler.
    [Differentiable]
    public static double Smooth(double x, double a) => x switch
    {
        < -1.0 => -a * (x + 0.5),    // linear tail
        <= 1.0 => 0.5 * a * x * x,   // quadratic middle
        _ => a * (x - 0.5),
    };

    [Differentiable]
    internal static double Compose(double x, [NoDerivative] double[] w, [NoDerivative] double scale, int n) => Other.Softplus(F(x, w) * scale) + n;
}

public static partial class Other
{
    [CustomDerivative(nameof(SoftplusVjp))]
    public static double Softplus(double z) => Math.Log(1 + Math.Exp(z));

    public static double SoftplusVjp(double z, double seed, out double dz)
    {
        dz = seed / (1 + Math.Exp(-z));
        return Math.Log(1 + Math.Exp(z));
    }
}
