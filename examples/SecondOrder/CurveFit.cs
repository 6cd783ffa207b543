using System.Diagnostics;

namespace SecondOrder;

/// <summary>Fitting a e^(-k t) + c to noisy observations: Levenberg-Marquardt with the generated Jacobian against gradient descent.</summary>
public sealed class CurveFit
{
    public CurveFit(int points, int seed)
    {
        var random = new Random(seed);
        T = Enumerable.Range(0, points).Select(i => 5.0 * i / points).ToArray();
        Y = T.Select(t => 2.5 * Math.Exp(-0.8 * t) + 0.3 + 0.02 * (random.NextDouble() - 0.5)).ToArray();
    }

    public double[] T { get; }

    public double[] Y { get; }

    public double[] Start { get; } = { 1.0, 0.2, 0.0 };

    /// <summary>½‖r(p)‖².</summary>
    public double Cost(double[] p)
    {
        var r = new double[T.Length];
        Problems.DecayResiduals(p, T, Y, r);
        return 0.5 * r.Sum(v => v * v);
    }

    /// <summary>
    /// Levenberg-Marquardt: each step solves (JᵀJ + λ diag JᵀJ) δ = -Jᵀr with J from <c>DecayResidualsJacobian</c>
    /// (100 x 3: three JVPs, one per column); a step that lowers the cost is taken and λ shrinks, else λ grows.
    /// </summary>
    public Trace LevenbergMarquardt(double minimum, int maxIterations, double tolerance)
    {
        double[] p = (double[])Start.Clone();
        int m = T.Length;
        var r = new double[m];
        var j = new double[m, 3];
        var normal = new double[3, 3];
        var gradient = new double[3];
        var step = new double[3];
        double lambda = 1e-3;
        var gaps = new List<double> { Cost(p) - minimum };
        var seconds = new List<double> { 0 };
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < maxIterations && gaps[^1] >= tolerance; k++)
        {
            Problems.DecayResidualsJacobian(p, T, Y, r, j);
            double cost = 0.5 * r.Sum(v => v * v);
            for (int a = 0; a < 3; a++)
            {
                gradient[a] = 0;
                for (int i = 0; i < m; i++)
                {
                    gradient[a] += j[i, a] * r[i];
                }

                for (int b = 0; b < 3; b++)
                {
                    normal[a, b] = 0;
                    for (int i = 0; i < m; i++)
                    {
                        normal[a, b] += j[i, a] * j[i, b];
                    }
                }
            }

            while (true)
            {
                var damped = (double[,])normal.Clone();
                for (int a = 0; a < 3; a++)
                {
                    damped[a, a] += lambda * normal[a, a];
                }

                Linear.SolveShifted(damped, 0, gradient, step);
                double[] trial = { p[0] - step[0], p[1] - step[1], p[2] - step[2] };
                if (Cost(trial) < cost || lambda > 1e12)
                {
                    p = trial;
                    lambda = Math.Max(lambda / 3, 1e-12);
                    break;
                }

                lambda *= 2;
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
            gaps.Add(Cost(p) - minimum);
        }

        Final = p;
        return new Trace("Levenberg-Marquardt (FJacobian)", gaps, seconds);
    }

    /// <summary>The parameters the last Levenberg-Marquardt run ended at.</summary>
    public double[] Final { get; private set; } = Array.Empty<double>();

    /// <summary>The cost as an objective for the other solvers: its gradient Jᵀr is one VJP seeded with r.</summary>
    public Objective AsObjective()
    {
        int m = T.Length;
        var r = new double[m];
        return new Objective("curve fit", 3, Cost, (p, g) =>
        {
            Problems.DecayResiduals(p, T, Y, r);
            Problems.DecayResidualsVjp(p, T, Y, new double[m], r, g);
        }, (_, _) => throw new NotSupportedException("The curve fit uses Levenberg-Marquardt, not Newton."));
    }
}
