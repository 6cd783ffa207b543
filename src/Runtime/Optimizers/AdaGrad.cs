using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Optimizers;

/// <summary>
/// AdaGrad (Duchi, Hazan and Singer, 2011): per-coordinate steps shrink with the accumulated squared gradient.
/// <code>
/// s ← s + g²
/// θ ← θ - α g / (√s + ε)
/// </code>
/// </summary>
public sealed class AdaGrad : Optimizer
{
    /// <summary>Defaults as in PyTorch: lr 0.01, ε 1e-10.</summary>
    public AdaGrad(double learningRate = 0.01, double epsilon = 1e-10)
        : base(learningRate) => Epsilon = epsilon;

    /// <summary>Added to √s.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    protected override int StateCount => 1;

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
    {
        T lr = T.CreateChecked(LearningRate), eps = T.CreateChecked(Epsilon);
        Span<T> sum = ((T[])state[0]).AsSpan(offset, parameters.Length);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            Span<Vector512<T>> pv = MemoryMarshal.Cast<T, Vector512<T>>(parameters);
            ReadOnlySpan<Vector512<T>> gv = MemoryMarshal.Cast<T, Vector512<T>>(gradient);
            Span<Vector512<T>> sv = MemoryMarshal.Cast<T, Vector512<T>>(sum);
            Vector512<T> vLr = Vector512.Create(lr), vEps = Vector512.Create(eps);
            for (int k = 0; k < pv.Length; k++)
            {
                Vector512<T> g = gv[k];
                Vector512<T> s = sv[k] + g * g;
                sv[k] = s;
                pv[k] -= vLr * g / (Vector512.Sqrt(s) + vEps);
            }

            i = pv.Length * Vector512<T>.Count;
        }
        else if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(parameters);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(gradient);
            Span<Vector<T>> sv = MemoryMarshal.Cast<T, Vector<T>>(sum);
            var vLr = new Vector<T>(lr);
            var vEps = new Vector<T>(eps);
            for (int k = 0; k < pv.Length; k++)
            {
                Vector<T> g = gv[k];
                Vector<T> s = sv[k] + g * g;
                sv[k] = s;
                pv[k] -= vLr * g / (Vector.SquareRoot(s) + vEps);
            }

            i = pv.Length * Vector<T>.Count;
        }

        for (; i < parameters.Length; i++)
        {
            T g = gradient[i];
            sum[i] += g * g;                                   // accumulated squared gradient
            parameters[i] -= lr * g / (T.Sqrt(sum[i]) + eps);  // per-coordinate step
        }
    }
}
