using Autodiff;

namespace OptimizerRace;

/// <summary>The classic test surfaces; their gradients come from the generator.</summary>
public static partial class Surfaces
{
    /// <summary>Rosenbrock's banana valley, minimum 0 at (1, 1).</summary>
    [Differentiable]
    public static double Rosenbrock(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

    /// <summary>Beale's function, minimum 0 at (3, 0.5).</summary>
    [Differentiable]
    public static double Beale(double x, double y)
    {
        double a = 1.5 - x + x * y;
        double b = 2.25 - x + x * y * y;
        double c = 2.625 - x + x * y * y * y;
        return a * a + b * b + c * c;
    }

    /// <summary>A saddle x² - y² with quartic walls: minima -1/0.4 at (0, ±√5); start near the saddle point.</summary>
    [Differentiable]
    public static double Saddle(double x, double y) => x * x - y * y + 0.1 * y * y * y * y;

    /// <summary>
    /// An ill-conditioned quadratic: curvature 1 along the diagonal x = y and 50 across it (condition number 50), so
    /// its valley runs at 45°; minimum 0 at (0, 0).
    /// </summary>
    [Differentiable]
    public static double Valley(double x, double y)
    {
        double along = (x + y) / Math.Sqrt(2);
        double across = (x - y) / Math.Sqrt(2);
        return 0.5 * (along * along + 50 * across * across);
    }
}
