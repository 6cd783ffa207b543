using System.Buffers;

namespace Autodiff.Benchmarks.Plain;

/// <summary>
/// Hand-written gradients of the functions in <see cref="Plain"/>, written as carefully as a person would for speed:
/// closed forms where the math gives one (softmax for log-sum-exp, responsibilities for the mixture), one pass where
/// one suffices, states kept in a pooled buffer for the reverse passes (RK4, the recurrence). Each returns the
/// function's value and overwrites its adjoints; PlainBenchmarks checks each against the generated gradient.
/// </summary>
public static class Hand
{
    // log Σ exp(xᵢ): ∂/∂xᵢ = softmax(x)ᵢ (the max shift cancels).
    public static double LogSumExp(double[] x, double[] dx)
    {
        double m = x[0];
        for (int i = 1; i < x.Length; i++)
        {
            m = Math.Max(m, x[i]);
        }

        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i] - m);
            dx[i] = e;
            s += e;
        }

        double inverse = 1 / s;
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] *= inverse;
        }

        return m + Math.Log(s);
    }

    // Σⱼ rⱼ², rⱼ = Σₖ cₖ tⱼᵏ - yⱼ: ∂/∂cₖ = Σⱼ 2 rⱼ tⱼᵏ.
    public static double PolynomialFit(double[] c, double[] t, double[] y, double[] dc)
    {
        Array.Clear(dc);
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
            double g = 2 * r;
            mul = 1;
            for (int k = 0; k < c.Length; k++)
            {
                dc[k] += g * mul;
                mul *= t[j];
            }
        }

        return s;
    }

    // With qᵢc = αc - ℓc - zᵢc²/2 and responsibilities rᵢc = softmax_c(qᵢc), weights w = softmax(α):
    // ∂/∂αc = Σᵢ rᵢc - N wc,  ∂/∂μc = Σᵢ rᵢc zᵢc / σc,  ∂/∂ℓc = Σᵢ rᵢc (zᵢc² - 1).
    public static double MixtureLogLikelihood(double[] alpha, double[] mu, double[] logSigma, double[] x, double[] dAlpha, double[] dMu, double[] dLogSigma)
    {
        int k = alpha.Length;
        Span<double> sigma = stackalloc double[k];
        Span<double> z = stackalloc double[k];
        Span<double> e = stackalloc double[k];
        double am = alpha[0];
        for (int c = 1; c < k; c++)
        {
            am = Math.Max(am, alpha[c]);
        }

        double az = 0;
        for (int c = 0; c < k; c++)
        {
            az += Math.Exp(alpha[c] - am);
            sigma[c] = Math.Exp(logSigma[c]);
        }

        double logWeights = am + Math.Log(az);
        Array.Clear(dAlpha);
        Array.Clear(dMu);
        Array.Clear(dLogSigma);
        double total = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double best = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                z[c] = (x[i] - mu[c]) / sigma[c];
                e[c] = alpha[c] - logSigma[c] - 0.5 * z[c] * z[c];
                best = Math.Max(best, e[c]);
            }

            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                e[c] = Math.Exp(e[c] - best);
                sum += e[c];
            }

            total += best + Math.Log(sum) - logWeights - 0.918938533204672741780329736;
            double inverse = 1 / sum;
            for (int c = 0; c < k; c++)
            {
                double r = e[c] * inverse;
                dAlpha[c] += r;
                dMu[c] += r * z[c] / sigma[c];
                dLogSigma[c] += r * (z[c] * z[c] - 1);
            }
        }

        for (int c = 0; c < k; c++)
        {
            dAlpha[c] -= x.Length * Math.Exp(alpha[c] - am) / az;
        }

        return total;
    }

    // Σ log(1 + exp(-y z)) + λ/2 ‖w‖²: ∂/∂w = Σ -y e/(1 + e) xᵢ + λ w with e = exp(-y z), ∂/∂λ = ‖w‖²/2.
    public static double Logistic(double[] w, double[] features, double[] labels, double lambda, double[] dw, out double dLambda)
    {
        int d = w.Length;
        Array.Clear(dw);
        double loss = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = 0;
            for (int j = 0; j < d; j++)
            {
                z += w[j] * features[i * d + j];
            }

            double e = Math.Exp(-labels[i] * z);
            loss += Math.Log(1 + e);
            double g = -labels[i] * e / (1 + e);
            for (int j = 0; j < d; j++)
            {
                dw[j] += g * features[i * d + j];
            }
        }

        double norm = 0;
        for (int j = 0; j < d; j++)
        {
            norm += w[j] * w[j];
            dw[j] += lambda * w[j];
        }

        dLambda = 0.5 * norm;
        return loss + 0.5 * lambda * norm;
    }

    // RK4 on f(u) = r u (1 - u/K), reverse through the stages of each step from the stored states:
    // ∂f/∂u = r (1 - 2u/K), ∂f/∂r = u (1 - u/K), ∂f/∂K = r u² / K².
    public static double Rk4Growth(double r, double capacity, double u0, int steps, double dt, out double dr, out double dCapacity, out double du0)
    {
        double[] states = ArrayPool<double>.Shared.Rent(steps + 1);
        double u = u0;
        for (int n = 0; n < steps; n++)
        {
            states[n] = u;
            double k1 = r * u * (1 - u / capacity);
            double u2 = u + 0.5 * dt * k1;
            double k2 = r * u2 * (1 - u2 / capacity);
            double u3 = u + 0.5 * dt * k2;
            double k3 = r * u3 * (1 - u3 / capacity);
            double u4 = u + dt * k3;
            double k4 = r * u4 * (1 - u4 / capacity);
            u = u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
        }

        double value = u;
        double bar = 1, rBar = 0, kBar = 0, inverseK = 1 / capacity;
        for (int n = steps - 1; n >= 0; n--)
        {
            double un = states[n];
            double k1 = r * un * (1 - un / capacity);
            double u2 = un + 0.5 * dt * k1;
            double k2 = r * u2 * (1 - u2 / capacity);
            double u3 = un + 0.5 * dt * k2;
            double k3 = r * u3 * (1 - u3 / capacity);
            double u4 = un + dt * k3;

            double next = bar;
            double k4Bar = bar * dt / 6, k3Bar = bar * dt / 3, k2Bar = bar * dt / 3, k1Bar = bar * dt / 6;
            double u4Bar = k4Bar * r * (1 - 2 * u4 * inverseK);
            rBar += k4Bar * u4 * (1 - u4 * inverseK);
            kBar += k4Bar * r * u4 * u4 * inverseK * inverseK;
            next += u4Bar;
            k3Bar += u4Bar * dt;
            double u3Bar = k3Bar * r * (1 - 2 * u3 * inverseK);
            rBar += k3Bar * u3 * (1 - u3 * inverseK);
            kBar += k3Bar * r * u3 * u3 * inverseK * inverseK;
            next += u3Bar;
            k2Bar += u3Bar * 0.5 * dt;
            double u2Bar = k2Bar * r * (1 - 2 * u2 * inverseK);
            rBar += k2Bar * u2 * (1 - u2 * inverseK);
            kBar += k2Bar * r * u2 * u2 * inverseK * inverseK;
            next += u2Bar;
            k1Bar += u2Bar * 0.5 * dt;
            next += k1Bar * r * (1 - 2 * un * inverseK);
            rBar += k1Bar * un * (1 - un * inverseK);
            kBar += k1Bar * r * un * un * inverseK * inverseK;
            bar = next;
        }

        ArrayPool<double>.Shared.Return(states);
        (dr, dCapacity, du0) = (rBar, kBar, bar);
        return value;
    }

    // Σ k sᵢⱼ², sᵢⱼ = |pᵢ - pⱼ| - L: ∂/∂pᵢ = 2k s (pᵢ - pⱼ)/|pᵢ - pⱼ| (and minus that for pⱼ), ∂/∂k = Σ s², ∂/∂L = -Σ 2k s.
    public static double Springs(double[] p, double stiffness, double rest, double[] dp, out double dStiffness, out double dRest)
    {
        int n = p.Length / 2;
        Array.Clear(dp);
        double energy = 0, squares = 0, stretches = 0;
        for (int i = 0; i < n; i++)
        {
            double xi = p[2 * i], yi = p[2 * i + 1];
            double gx = 0, gy = 0;
            for (int j = i + 1; j < n; j++)
            {
                double dx = xi - p[2 * j];
                double dy = yi - p[2 * j + 1];
                double distance = Math.Sqrt(dx * dx + dy * dy);
                double stretch = distance - rest;
                energy += stiffness * stretch * stretch;
                squares += stretch * stretch;
                stretches += stretch;
                double f = 2 * stiffness * stretch / distance;
                gx += f * dx;
                gy += f * dy;
                dp[2 * j] -= f * dx;
                dp[2 * j + 1] -= f * dy;
            }

            dp[2 * i] += gx;
            dp[2 * i + 1] += gy;
        }

        dStiffness = squares;
        dRest = -2 * stiffness * stretches;
        return energy;
    }

    // hₜ = tanh(w hₜ₋₁ + u xₜ + b), loss Σ hₜ²: back through time from the stored states.
    public static double Recurrent(double w, double u, double b, double[] x, out double dw, out double du, out double db)
    {
        double[] states = ArrayPool<double>.Shared.Rent(x.Length);
        double h = 0, loss = 0;
        for (int t = 0; t < x.Length; t++)
        {
            h = Math.Tanh(w * h + u * x[t] + b);
            states[t] = h;
            loss += h * h;
        }

        double hBar = 0;
        (dw, du, db) = (0, 0, 0);
        for (int t = x.Length - 1; t >= 0; t--)
        {
            double ht = states[t];
            hBar += 2 * ht;
            double a = hBar * (1 - ht * ht);
            dw += a * (t > 0 ? states[t - 1] : 0);
            du += a * x[t];
            db += a;
            hBar = a * w;
        }

        ArrayPool<double>.Shared.Return(states);
        return loss;
    }

    // Σᵢ minc (pᵢ - cc)²: the nearest centre (the first on a tie, as Math.Min keeps its first argument) gets -2 (pᵢ - cc).
    public static double NearestCentre(double[] centres, double[] points, double[] dCentres)
    {
        Array.Clear(dCentres);
        double cost = 0;
        for (int i = 0; i < points.Length; i++)
        {
            double best = double.PositiveInfinity;
            int nearest = 0;
            for (int c = 0; c < centres.Length; c++)
            {
                double d = points[i] - centres[c];
                if (d * d < best)
                {
                    best = d * d;
                    nearest = c;
                }
            }

            cost += best;
            dCentres[nearest] -= 2 * (points[i] - centres[nearest]);
        }

        return cost;
    }

    // vⱼ = aⱼ / (x + vⱼ₊₁) from the end: ∂vⱼ/∂x = -aⱼ / (x + vⱼ₊₁)² (1 + ∂vⱼ₊₁/∂x).
    // The same recursion as the function, each level returning its value and its derivative (the fair comparison for
    // a generator that keeps the user's recursion; the iterative form above is a different algorithm).
    public static double ContinuedFractionRecursive(double x, double[] a, int i, out double dx)
    {
        if (i == a.Length)
        {
            dx = 0;
            return 0;
        }

        double inner = ContinuedFractionRecursive(x, a, i + 1, out double dInner);
        double denominator = x + inner;
        double value = a[i] / denominator;
        dx = -value / denominator * (1 + dInner);
        return value;
    }

    public static double ContinuedFraction(double x, double[] a, int i, out double dx)
    {
        double v = 0, dv = 0;
        for (int j = a.Length - 1; j >= i; j--)
        {
            double denominator = x + v;
            double next = a[j] / denominator;
            dv = -next / denominator * (1 + dv);
            v = next;
        }

        dx = dv;
        return v;
    }

    // score = s Σ wᵢ cᵢ with cᵢ = xᵢ - mean, s = (var + ε)^-1/2: ∂score/∂xⱼ = s (wⱼ - W/n) - A s³ cⱼ / n, A = Σ wᵢ cᵢ.
    public static double Standardised(double[] x, double[] weights, double[] dx)
    {
        int n = x.Length;
        double mean = 0, weightSum = 0;
        for (int i = 0; i < n; i++)
        {
            mean += x[i];
            weightSum += weights[i];
        }

        mean /= n;
        double variance = 0, a = 0;
        for (int i = 0; i < n; i++)
        {
            double c = x[i] - mean;
            variance += c * c;
            a += weights[i] * c;
        }

        variance /= n;
        double scale = 1 / Math.Sqrt(variance + 1e-5);
        double score = a * scale;
        double g = 2 * score;
        double shift = weightSum / n, curvature = a * scale * scale * scale / n;
        for (int i = 0; i < n; i++)
        {
            dx[i] = g * (scale * (weights[i] - shift) - curvature * (x[i] - mean));
        }

        return score * score;
    }
}
