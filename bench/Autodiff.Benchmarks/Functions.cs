using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Autodiff;

namespace Autodiff.Benchmarks;

/// <summary>The functions whose generated gradients are measured, written as a user would write them.</summary>
public static partial class Functions
{
    /// <summary>A polynomial by Horner's scheme written recursively: c[i] + x · (the rest), one level per coefficient.</summary>
    [Differentiable]
    public static double Horner(double[] c, double x, int i) => i == c.Length ? 0.0 : c[i] + x * Horner(c, x, i + 1);

    /// <summary>The determinant of an n x n matrix (row by row in <paramref name="a"/>) by cofactor expansion along the first row.</summary>
    [Differentiable]
    public static double Determinant(double[] a, int n)
    {
        if (n == 1)
        {
            return a[0];
        }

        double total = 0, sign = 1;
        for (int j = 0; j < n; j++)
        {
            double[] minor = new double[(n - 1) * (n - 1)];
            for (int r = 1; r < n; r++)
            {
                int k = 0;
                for (int c = 0; c < n; c++)
                {
                    if (c != j)
                    {
                        minor[(r - 1) * (n - 1) + k] = a[r * n + c];
                        k++;
                    }
                }
            }

            total += sign * a[j] * Determinant(minor, n - 1);
            sign = -sign;
        }

        return total;
    }

    /// <summary>Rosenbrock in N dimensions: Σ (1 - xᵢ)² + 100 (xᵢ₊₁ - xᵢ²)².</summary>
    [Differentiable(SecondOrder = true)]
    public static double Rosenbrock(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            s += a * a + 100 * b * b;
        }

        return s;
    }

    /// <summary>The same Rosenbrock with the generator's vector loop turned off: the scalar gradient of the "both scalar loops" pair.</summary>
    [Differentiable(Vectorize = false, SecondOrder = true)]
    public static double RosenbrockScalar(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            s += a * a + 100 * b * b;
        }

        return s;
    }

    /// <summary>Times of the decay residuals: 100 points.</summary>
    public static readonly double[] DecayTimes = Enumerable.Range(0, 100).Select(i => i * 0.05).ToArray();

    /// <summary>Noisy observations of 2 e^(-0.7 t) + 0.1 at <see cref="DecayTimes"/>.</summary>
    public static readonly double[] DecayObserved = DecayTimes.Select((t, i) => 2 * Math.Exp(-0.7 * t) + 0.1 + 0.01 * Math.Sin(13 * i)).ToArray();

    /// <summary>A least-squares residual vector with 100 outputs and 3 parameters: rᵢ = a e^(-k tᵢ) + c - yᵢ.</summary>
    [Differentiable]
    public static void DecayResiduals(ReadOnlySpan<double> p, [NoDerivative] double[] t, [NoDerivative] double[] y, [Output] Span<double> r)
    {
        for (int i = 0; i < t.Length; i++)
        {
            r[i] = p[0] * Math.Exp(-p[1] * t[i]) + p[2] - y[i];
        }
    }

    /// <summary>Rosenbrock with N = 2 written out (no loop).</summary>
    [Differentiable(SecondOrder = true)]
    public static double Rosenbrock2(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

    /// <summary>
    /// Rosenbrock after <paramref name="steps"/> gradient-descent steps of size e^<paramref name="logRate"/> from
    /// (-1.2, 1), each step calling the generated <c>Rosenbrock2Gradient</c>: its gradient differentiates through the
    /// steps (nested differentiation).
    /// </summary>
    [Differentiable]
    public static double AfterSteps(double logRate, int steps)
    {
        double x = -1.2, y = 1.0, rate = Math.Exp(logRate);
        for (int k = 0; k < steps; k++)
        {
            Rosenbrock2Gradient(x, y, out double gx, out double gy);
            x -= rate * gx;
            y -= rate * gy;
        }

        return Rosenbrock2(x, y);
    }

    /// <summary>A recurrence over many steps: hₜ = tanh(w hₜ₋₁ + u xₜ), loss Σ hₜ².</summary>
    [Differentiable]
    public static double Recurrence(double w, double u, [NoDerivative] double[] xs)
    {
        double h = 0;
        double loss = 0;
        for (int t = 0; t < xs.Length; t++)
        {
            h = Math.Tanh(w * h + u * xs[t]);
            loss += h * h;
        }

        return loss;
    }

    /// <summary>A branchy piecewise function summed over an array.</summary>
    [Differentiable]
    public static double Piecewise(double[] x)
    {
        double s = 0;
        foreach (double v in x)
        {
            if (v < -1)
            {
                s += -2 * v - 1;
            }
            else if (v < 1)
            {
                s += v * v;
            }
            else
            {
                s += Math.Sqrt(v) * 2 - 1;
            }
        }

        return s;
    }

    [Differentiable]
    private static double Softplus(double z) => Math.Log(1 + Math.Exp(z));

    /// <summary>A composition of differentiable calls.</summary>
    [Differentiable]
    public static double Composition(double[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += Softplus(x[i] * 0.5) * Softplus(-x[i]);
        }

        return s;
    }

    /// <summary>Hand-derived <see cref="Piecewise"/> gradient: one pass, each branch's derivative written in it.</summary>
    public static double PiecewiseHand(double[] x, Span<double> dx)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            if (v < -1)
            {
                s += -2 * v - 1;
                dx[i] = -2;
            }
            else if (v < 1)
            {
                s += v * v;
                dx[i] = 2 * v;
            }
            else
            {
                double r = Math.Sqrt(v);
                s += r * 2 - 1;
                dx[i] = 1 / r;
            }
        }

        return s;
    }

    /// <summary>Hand-derived <see cref="Composition"/> gradient: softplus' = e / (1 + e), each exponential computed once.</summary>
    public static double CompositionHand(double[] x, Span<double> dx)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e1 = Math.Exp(x[i] * 0.5), e2 = Math.Exp(-x[i]);
            double a = Math.Log(1 + e1), b = Math.Log(1 + e2);
            s += a * b;
            dx[i] = 0.5 * e1 / (1 + e1) * b - a * e2 / (1 + e2);
        }

        return s;
    }

    /// <summary>Hand-derived <see cref="Recurrence"/> gradient; <paramref name="h"/> holds the states (at least xs.Length).</summary>
    public static double RecurrenceHand(double w, double u, double[] xs, double[] h, out double dw, out double du)
    {
        double state = 0, loss = 0;
        for (int t = 0; t < xs.Length; t++)
        {
            state = Math.Tanh(w * state + u * xs[t]);
            h[t] = state;
            loss += state * state;
        }

        // ∂loss/∂hₜ = 2 hₜ + (what hₜ₊₁ passes back); through tanh: · (1 - hₜ²)
        double carry = 0, gw = 0, gu = 0;
        for (int t = xs.Length - 1; t >= 0; t--)
        {
            double dz = (2 * h[t] + carry) * (1 - h[t] * h[t]);
            gw += dz * (t > 0 ? h[t - 1] : 0);
            gu += dz * xs[t];
            carry = dz * w;
        }

        (dw, du) = (gw, gu);
        return loss;
    }

    /// <summary>Hand-derived Rosenbrock gradient (the reference in the brief: ~1.96x at N = 10 000).</summary>
    public static double RosenbrockHand(double[] x, Span<double> dx)
    {
        dx.Clear();
        double s = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            s += a * a + 100 * b * b;
            dx[i] += -2 * a - 400 * b * x[i];
            dx[i + 1] += 200 * b;
        }

        return s;
    }

    /// <summary>Rosenbrock vectorised by hand (<see cref="Vector512{T}"/>, 8 doubles per step, two accumulators): the primal of the vectorised pair.</summary>
    public static double RosenbrockSimd(double[] x)
    {
        int n = x.Length, i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n > 17)
        {
            ref double x0 = ref MemoryMarshal.GetArrayDataReference(x);
            Vector512<double> one = Vector512<double>.One, hundred = Vector512.Create(100.0), s0 = default, s1 = default;
            for (; i + 16 < n; i += 16)
            {
                s0 += Term(Vector512.LoadUnsafe(ref x0, (nuint)i), Vector512.LoadUnsafe(ref x0, (nuint)i + 1), one, hundred);
                s1 += Term(Vector512.LoadUnsafe(ref x0, (nuint)i + 8), Vector512.LoadUnsafe(ref x0, (nuint)i + 9), one, hundred);
            }

            s = Vector512.Sum(s0 + s1);
        }

        for (; i < n - 1; i++)
        {
            double a = 1 - x[i];
            double b = x[i + 1] - x[i] * x[i];
            s += a * a + 100 * b * b;
        }

        return s;

        static Vector512<double> Term(Vector512<double> xi, Vector512<double> next, Vector512<double> one, Vector512<double> hundred)
        {
            Vector512<double> a = one - xi, b = next - xi * xi;
            return a * a + hundred * b * b;
        }
    }

    /// <summary>
    /// The hand-derived gradient of <see cref="RosenbrockSimd"/>, vectorised the same way: each element's
    /// derivative gathers its two terms, ∂/∂xⱼ = -2(1 - xⱼ) - 400 xⱼ (xⱼ₊₁ - xⱼ²) + 200 (xⱼ - xⱼ₋₁²), from loads of
    /// x alone, so every dx element is written once (no read-modify-write of overlapping vectors).
    /// </summary>
    public static double RosenbrockSimdGradient(double[] x, Span<double> dx)
    {
        int n = x.Length;
        if (dx.Length != n)
        {
            throw new ArgumentException("dx must have the length of x.", nameof(dx));
        }

        if (!Vector512.IsHardwareAccelerated || n < 18)
        {
            return RosenbrockHand(x, dx);
        }

        ref double x0 = ref MemoryMarshal.GetArrayDataReference(x);
        ref double d0 = ref MemoryMarshal.GetReference(dx);
        Vector512<double> s = default;
        // j = 0 has no previous term, j = n - 1 no own term: both scalar.
        double a0 = 1 - x[0], b0 = x[1] - x[0] * x[0];
        dx[0] = -2 * a0 - 400 * b0 * x[0];
        double total = a0 * a0 + 100 * b0 * b0;
        int j = 1;
        for (; j + 8 < n; j += 8)
        {
            s += Step(ref x0, ref d0, (nuint)j);
        }

        total += Vector512.Sum(s);
        for (; j < n; j++)
        {
            double bPrev = x[j] - x[j - 1] * x[j - 1];
            double own = 0;
            if (j < n - 1)
            {
                double a = 1 - x[j], b = x[j + 1] - x[j] * x[j];
                total += a * a + 100 * b * b;
                own = -2 * a - 400 * b * x[j];
            }

            dx[j] = own + 200 * bPrev;
        }

        return total;

        // Elements j..j+7: writes their derivatives, returns their terms.
        static Vector512<double> Step(ref double x0, ref double d0, nuint j)
        {
            Vector512<double> prev = Vector512.LoadUnsafe(ref x0, j - 1), xj = Vector512.LoadUnsafe(ref x0, j), next = Vector512.LoadUnsafe(ref x0, j + 1);
            Vector512<double> a = Vector512<double>.One - xj, b = next - xj * xj, bPrev = xj - prev * prev;
            (Vector512.Create(-2.0) * a + Vector512.Create(-400.0) * b * xj + Vector512.Create(200.0) * bPrev).StoreUnsafe(ref d0, j);
            return a * a + Vector512.Create(100.0) * b * b;
        }
    }
}
