using System.Diagnostics;

namespace SecondOrder;

/// <summary>A smooth objective on ℝⁿ: its value, gradient and Hessian (all from generated code in this example).</summary>
public sealed record Objective(string Name, int Dimension, Func<double[], double> Value, Action<double[], double[]> Gradient, Action<double[], double[,]> Hessian);

/// <summary>One run of one method: the gap f(x) - f* after each iteration, and the wall time at each.</summary>
public sealed record Trace(string Method, List<double> Gaps, List<double> Seconds)
{
    /// <summary>The first iteration whose gap is below the tolerance, or null.</summary>
    public int? IterationsTo(double tolerance)
    {
        int index = Gaps.FindIndex(g => g < tolerance);
        return index < 0 ? null : index;
    }

    public double? SecondsTo(double tolerance) => IterationsTo(tolerance) is { } i ? Seconds[i] : null;
}

/// <summary>Newton's method with the generated Hessian, gradient descent and Adam, each from the same start.</summary>
public static class Solvers
{
    /// <summary>
    /// Damped Newton: the step solves (H + μI) d = -g by Cholesky, μ = 0 unless H is not positive definite (then grown
    /// until it is), and a backtracking line search from the full step keeps f decreasing.
    /// </summary>
    public static Trace Newton(Objective f, double[] start, double minimum, int maxIterations, double tolerance)
    {
        int n = f.Dimension;
        double[] x = (double[])start.Clone(), g = new double[n], d = new double[n];
        var h = new double[n, n];
        return Run("Newton (FHessian)", f, x, minimum, maxIterations, tolerance, () =>
        {
            f.Gradient(x, g);
            f.Hessian(x, h);
            for (double mu = 0; ; mu = Math.Max(2 * mu, 1e-8))
            {
                if (Linear.SolveShifted(h, mu, g, d))
                {
                    break;
                }
            }

            for (int i = 0; i < n; i++)
            {
                d[i] = -d[i];
            }

            LineSearch(f, x, g, d);
        });
    }

    /// <summary>Steepest descent with a backtracking (Armijo) line search.</summary>
    public static Trace GradientDescent(Objective f, double[] start, double minimum, int maxIterations, double tolerance)
    {
        int n = f.Dimension;
        double[] x = (double[])start.Clone(), g = new double[n], d = new double[n];
        return Run("gradient descent", f, x, minimum, maxIterations, tolerance, () =>
        {
            f.Gradient(x, g);
            for (int i = 0; i < n; i++)
            {
                d[i] = -g[i];
            }

            LineSearch(f, x, g, d);
        });
    }

    /// <summary>Adam (β₁ = 0.9, β₂ = 0.999) at a fixed learning rate.</summary>
    public static Trace Adam(Objective f, double[] start, double minimum, int maxIterations, double tolerance, double learningRate)
    {
        int n = f.Dimension;
        double[] x = (double[])start.Clone(), g = new double[n], m = new double[n], v = new double[n];
        int t = 0;
        return Run($"Adam (lr {learningRate:G3})", f, x, minimum, maxIterations, tolerance, () =>
        {
            f.Gradient(x, g);
            t++;
            for (int i = 0; i < n; i++)
            {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(0.9, t));
                double vHat = v[i] / (1 - Math.Pow(0.999, t));
                x[i] -= learningRate * mHat / (Math.Sqrt(vHat) + 1e-12);
            }
        });
    }

    // Iterates until the gap is below the tolerance or the budget is spent, timing every iteration.
    private static Trace Run(string method, Objective f, double[] x, double minimum, int maxIterations, double tolerance, Action step)
    {
        var gaps = new List<double> { f.Value(x) - minimum };
        var seconds = new List<double> { 0 };
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < maxIterations && gaps[^1] >= tolerance && double.IsFinite(gaps[^1]); k++)
        {
            step();
            seconds.Add(clock.Elapsed.TotalSeconds);
            gaps.Add(f.Value(x) - minimum);
        }

        return new Trace(method, gaps, seconds);
    }

    // x += t d with the largest t in 1, 1/2, 1/4, ... that decreases f by at least 10⁻⁴ t g·d.
    private static void LineSearch(Objective f, double[] x, double[] g, double[] d)
    {
        int n = x.Length;
        double f0 = f.Value(x), slope = 0;
        for (int i = 0; i < n; i++)
        {
            slope += g[i] * d[i];
        }

        var trial = new double[n];
        for (double t = 1; t > 1e-20; t /= 2)
        {
            for (int i = 0; i < n; i++)
            {
                trial[i] = x[i] + t * d[i];
            }

            if (f.Value(trial) <= f0 + 1e-4 * t * slope)
            {
                Array.Copy(trial, x, n);
                return;
            }
        }
    }
}

/// <summary>The small dense linear algebra the solvers need.</summary>
public static class Linear
{
    /// <summary>Solves (A + μI) x = b by Cholesky; false when A + μI is not positive definite.</summary>
    public static bool SolveShifted(double[,] a, double mu, double[] b, double[] x)
    {
        int n = b.Length;
        var l = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double diagonal = a[j, j] + mu;
            for (int k = 0; k < j; k++)
            {
                diagonal -= l[j, k] * l[j, k];
            }

            if (!(diagonal > 0))
            {
                return false;
            }

            l[j, j] = Math.Sqrt(diagonal);
            for (int i = j + 1; i < n; i++)
            {
                double sum = 0.5 * (a[i, j] + a[j, i]);
                for (int k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                l[i, j] = sum / l[j, j];
            }
        }

        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
            {
                sum -= l[i, k] * x[k];
            }

            x[i] = sum / l[i, i];
        }

        for (int i = n - 1; i >= 0; i--)
        {
            double sum = x[i];
            for (int k = i + 1; k < n; k++)
            {
                sum -= l[k, i] * x[k];
            }

            x[i] = sum / l[i, i];
        }

        return true;
    }
}
