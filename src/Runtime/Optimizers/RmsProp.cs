using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Optimizers;

/// <summary>
/// RMSProp (Tieleman and Hinton, 2012): AdaGrad with a leaky average of squared gradients.
/// <code>
/// s ← ρ s + (1 - ρ) g²
/// θ ← θ - α g / (√s + ε)
/// </code>
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Defaults: lr 0.001, ρ 0.9, ε 1e-8.</summary>
    public RmsProp(double learningRate = 0.001, double rho = 0.9, double epsilon = 1e-8)
        : base(learningRate)
    {
        if (rho is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rho), rho, "rho must be in [0, 1).");
        }

        Rho = rho;
        Epsilon = epsilon;
    }

    /// <summary>Decay ρ of the squared-gradient average.</summary>
    public double Rho { get; }

    /// <summary>Added to √s.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    protected override int StateCount => 1;

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
    {
        T lr = T.CreateChecked(LearningRate), rho = T.CreateChecked(Rho), eps = T.CreateChecked(Epsilon);
        Span<T> mean = ((T[])state[0]).AsSpan(offset, parameters.Length);
        T rest = T.One - rho;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            Span<Vector512<T>> pv = MemoryMarshal.Cast<T, Vector512<T>>(parameters);
            ReadOnlySpan<Vector512<T>> gv = MemoryMarshal.Cast<T, Vector512<T>>(gradient);
            Span<Vector512<T>> mv = MemoryMarshal.Cast<T, Vector512<T>>(mean);
            Vector512<T> vLr = Vector512.Create(lr), vRho = Vector512.Create(rho), vRest = Vector512.Create(rest), vEps = Vector512.Create(eps);
            Vector512<T> smallest = Vector512.Create(SmallestNormal<T>());
            for (int k = 0; k < pv.Length; k++)
            {
                Vector512<T> g = gv[k];
                Vector512<T> mk = FlushSubnormalNonNegative(vRho * mv[k] + vRest * g * g, smallest);
                mv[k] = mk;
                pv[k] -= vLr * g / (Vector512.Sqrt(mk) + vEps);
            }

            i = pv.Length * Vector512<T>.Count;
        }
        else if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(parameters);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(gradient);
            Span<Vector<T>> mv = MemoryMarshal.Cast<T, Vector<T>>(mean);
            var vLr = new Vector<T>(lr);
            var vRho = new Vector<T>(rho);
            var vRest = new Vector<T>(rest);
            var vEps = new Vector<T>(eps);
            var smallest = new Vector<T>(SmallestNormal<T>());
            for (int k = 0; k < pv.Length; k++)
            {
                Vector<T> g = gv[k];
                Vector<T> mk = FlushSubnormalNonNegative(vRho * mv[k] + vRest * g * g, smallest);
                mv[k] = mk;
                pv[k] -= vLr * g / (Vector.SquareRoot(mk) + vEps);
            }

            i = pv.Length * Vector<T>.Count;
        }

        T least = SmallestNormal<T>();
        for (; i < parameters.Length; i++)
        {
            T g = gradient[i];
            mean[i] = FlushSubnormalNonNegative(rho * mean[i] + (T.One - rho) * g * g, least);   // leaky mean of g², flushed below the smallest normal
            parameters[i] -= lr * g / (T.Sqrt(mean[i]) + eps);
        }
    }
}
