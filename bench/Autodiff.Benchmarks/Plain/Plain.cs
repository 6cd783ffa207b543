using Autodiff;

namespace Autodiff.Benchmarks.Plain;

/// <summary>
/// Ten objectives written the way people write them from a textbook or a benchmark specification, not shaped for the
/// generator: reductions in the middle, running products, nested loops, mins, recursion. Their generated gradients
/// are measured against the hand-written ones in <see cref="Hand"/> (PlainBenchmarks); nothing here may be rewritten
/// to suit the generator.
/// </summary>
public static partial class Plain
{
    /// <summary>log Σ exp(xᵢ), shifted by the maximum so that it does not overflow.</summary>
    [Differentiable(SecondOrder = true)]
    public static double LogSumExp(double[] x)
    {
        double m = x[0];
        for (int i = 1; i < x.Length; i++)
        {
            m = Math.Max(m, x[i]);
        }

        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += Math.Exp(x[i] - m);
        }

        return m + Math.Log(s);
    }

    /// <summary>Least squares of a polynomial Σₖ cₖ tᵏ against (t, y) pairs, the power kept as a running product.</summary>
    [Differentiable(SecondOrder = true)]
    public static double PolynomialFit(double[] c, [NoDerivative] double[] t, [NoDerivative] double[] y)
    {
        double s = 0;
        for (int j = 0; j < t.Length; j++)
        {
            double inner = 0;
            double mul = 1;
            for (int k = 0; k < c.Length; k++)
            {
                inner += c[k] * mul;
                mul *= t[j];
            }

            double r = inner - y[j];
            s += r * r;
        }

        return s;
    }

    /// <summary>
    /// Log-likelihood of points under a 1-D Gaussian mixture: weights softmax(α), means μ, standard deviations exp(ℓ);
    /// the log-sum-exp over components inside the loop over points.
    /// </summary>
    [Differentiable(SecondOrder = true)]
    public static double MixtureLogLikelihood(double[] alpha, double[] mu, double[] logSigma, [NoDerivative] double[] x)
    {
        int k = alpha.Length;
        double am = alpha[0];
        for (int c = 1; c < k; c++)
        {
            am = Math.Max(am, alpha[c]);
        }

        double az = 0;
        for (int c = 0; c < k; c++)
        {
            az += Math.Exp(alpha[c] - am);
        }

        double logWeights = am + Math.Log(az);
        double total = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double best = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                double z = (x[i] - mu[c]) / Math.Exp(logSigma[c]);
                best = Math.Max(best, alpha[c] - logSigma[c] - 0.5 * z * z);
            }

            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                double z = (x[i] - mu[c]) / Math.Exp(logSigma[c]);
                sum += Math.Exp(alpha[c] - logSigma[c] - 0.5 * z * z - best);
            }

            total += best + Math.Log(sum) - logWeights - 0.918938533204672741780329736;
        }

        return total;
    }

    /// <summary>Logistic regression: Σ log(1 + exp(-yᵢ w·xᵢ)) + λ/2 ‖w‖², labels ±1, rows of X of length w.Length.</summary>
    [Differentiable(SecondOrder = true)]
    public static double Logistic(double[] w, [NoDerivative] double[] features, [NoDerivative] double[] labels, double lambda)
    {
        int d = w.Length;
        double loss = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = 0;
            for (int j = 0; j < d; j++)
            {
                z += w[j] * features[i * d + j];
            }

            loss += Math.Log(1 + Math.Exp(-labels[i] * z));
        }

        double norm = 0;
        for (int j = 0; j < d; j++)
        {
            norm += w[j] * w[j];
        }

        return loss + 0.5 * lambda * norm;
    }

    /// <summary>Logistic growth du/dt = r u (1 - u / K) integrated with classic RK4 over many steps; the end value.</summary>
    [Differentiable(SecondOrder = true)]
    public static double Rk4Growth(double r, double capacity, double u0, int steps, [NoDerivative] double dt)
    {
        double u = u0;
        for (int n = 0; n < steps; n++)
        {
            double k1 = r * u * (1 - u / capacity);
            double u2 = u + 0.5 * dt * k1;
            double k2 = r * u2 * (1 - u2 / capacity);
            double u3 = u + 0.5 * dt * k2;
            double k3 = r * u3 * (1 - u3 / capacity);
            double u4 = u + dt * k3;
            double k4 = r * u4 * (1 - u4 / capacity);
            u = u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
        }

        return u;
    }

    /// <summary>Σ over particle pairs of k (|pᵢ - pⱼ| - L)², positions (x, y) interleaved.</summary>
    [Differentiable(SecondOrder = true)]
    public static double Springs(double[] p, double stiffness, double rest)
    {
        int n = p.Length / 2;
        double energy = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double dx = p[2 * i] - p[2 * j];
                double dy = p[2 * i + 1] - p[2 * j + 1];
                double stretch = Math.Sqrt(dx * dx + dy * dy) - rest;
                energy += stiffness * stretch * stretch;
            }
        }

        return energy;
    }

    /// <summary>A recurrent cell h ← tanh(w h + u xₜ + b) over a sequence; the sum of squared states.</summary>
    [Differentiable(SecondOrder = true)]
    public static double Recurrent(double w, double u, double b, [NoDerivative] double[] x)
    {
        double h = 0;
        double loss = 0;
        for (int t = 0; t < x.Length; t++)
        {
            h = Math.Tanh(w * h + u * x[t] + b);
            loss += h * h;
        }

        return loss;
    }

    /// <summary>k-means cost: each point's squared distance to its nearest centre (1-D).</summary>
    [Differentiable(SecondOrder = true)]
    public static double NearestCentre(double[] centres, [NoDerivative] double[] points)
    {
        double cost = 0;
        for (int i = 0; i < points.Length; i++)
        {
            double best = double.PositiveInfinity;
            for (int c = 0; c < centres.Length; c++)
            {
                double d = points[i] - centres[c];
                best = Math.Min(best, d * d);
            }

            cost += best;
        }

        return cost;
    }

    /// <summary>A continued fraction a₀ / (x + a₁ / (x + a₂ / (x + ...))), evaluated by recursion.</summary>
    [Differentiable(SecondOrder = true)]
    public static double ContinuedFraction(double x, [NoDerivative] double[] a, int i)
        => i == a.Length ? 0.0 : a[i] / (x + ContinuedFraction(x, a, i + 1));

    /// <summary>A normalised score: the inputs standardised by their mean and variance (reductions first), then weighted and squared.</summary>
    [Differentiable(SecondOrder = true)]
    public static double Standardised(double[] x, [NoDerivative] double[] weights)
    {
        int n = x.Length;
        double mean = 0;
        for (int i = 0; i < n; i++)
        {
            mean += x[i];
        }

        mean /= n;
        double variance = 0;
        for (int i = 0; i < n; i++)
        {
            variance += (x[i] - mean) * (x[i] - mean);
        }

        variance /= n;
        double scale = 1 / Math.Sqrt(variance + 1e-5);
        double score = 0;
        for (int i = 0; i < n; i++)
        {
            score += weights[i] * (x[i] - mean) * scale;
        }

        return score * score;
    }
}
