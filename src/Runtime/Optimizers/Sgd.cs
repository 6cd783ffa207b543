using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Autodiff.Optimizers;

/// <summary>
/// Stochastic gradient descent, plain, with heavy-ball momentum, or with Nesterov momentum; one
/// implementation for the three (as tinygrad's SGD), since they differ by one line.
/// <code>
/// g ← g + λθ                (L2 weight decay, coupled)
/// v ← μ v + g               (momentum; skipped when μ = 0)
/// θ ← θ - α v               (heavy ball)
/// θ ← θ - α (g + μ v)       (Nesterov's look-ahead, in the form PyTorch and Sutskever et al. 2013 use)
/// </code>
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Plain SGD (momentum 0), heavy-ball (momentum &gt; 0) or Nesterov (<paramref name="nesterov"/>).</summary>
    public Sgd(double learningRate = 0.01, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        : base(learningRate)
    {
        if (momentum is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1).");
        }

        if (nesterov && momentum == 0)
        {
            throw new ArgumentException("Nesterov momentum needs momentum > 0.", nameof(nesterov));
        }

        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
    }

    /// <summary>Momentum μ (0: plain SGD).</summary>
    public double Momentum { get; }

    /// <summary>Use Nesterov's look-ahead.</summary>
    public bool Nesterov { get; }

    /// <summary>L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override int StateCount => Momentum > 0 ? 1 : 0;

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
    {
        T lr = T.CreateChecked(LearningRate), mu = T.CreateChecked(Momentum), decay = T.CreateChecked(WeightDecay);
        Span<T> velocity = state.Length > 0 ? ((T[])state[0]).AsSpan(offset, parameters.Length) : default;
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var vLr = new Vector<T>(lr);
            var vMu = new Vector<T>(mu);
            var vDecay = new Vector<T>(decay);
            Span<Vector<T>> p = MemoryMarshal.Cast<T, Vector<T>>(parameters);
            ReadOnlySpan<Vector<T>> g = MemoryMarshal.Cast<T, Vector<T>>(gradient);
            Span<Vector<T>> v = velocity.IsEmpty ? default : MemoryMarshal.Cast<T, Vector<T>>(velocity);
            var smallest = new Vector<T>(SmallestNormal<T>());
            for (int k = 0; k < p.Length; k++)
            {
                Vector<T> grad = g[k] + vDecay * p[k];
                if (v.IsEmpty)
                {
                    p[k] -= vLr * grad;
                    continue;
                }

                Vector<T> vel = FlushSubnormal(vMu * v[k] + grad, smallest);
                v[k] = vel;
                p[k] -= Nesterov ? vLr * (grad + vMu * vel) : vLr * vel;
            }

            i = p.Length * Vector<T>.Count;
        }

        T least = SmallestNormal<T>();
        for (; i < parameters.Length; i++)
        {
            T grad = gradient[i] + decay * parameters[i];
            if (velocity.IsEmpty)
            {
                parameters[i] -= lr * grad;
                continue;
            }

            T vel = FlushSubnormal(mu * velocity[i] + grad, least);   // velocity, flushed below the smallest normal
            velocity[i] = vel;
            parameters[i] -= Nesterov ? lr * (grad + mu * vel) : lr * vel;
        }
    }
}
