using System;

namespace Autodiff;

/// <summary>
/// Seeded weight initialisers. For a (fanIn, fanOut) weight matrix: Xavier/Glorot keeps the variance of
/// activations and gradients equal across tanh/sigmoid layers; He keeps it for ReLU layers.
/// </summary>
public static class Init
{
    /// <summary>Xavier/Glorot uniform: U(-a, a) with a = √(6 / (fanIn + fanOut)).</summary>
    public static Tensor XavierUniform(int fanIn, int fanOut, Random random)
        => Uniform(MathF.Sqrt(6f / (fanIn + fanOut)), random, fanIn, fanOut);

    /// <summary>Xavier/Glorot normal: N(0, 2 / (fanIn + fanOut)).</summary>
    public static Tensor XavierNormal(int fanIn, int fanOut, Random random)
        => Normal(MathF.Sqrt(2f / (fanIn + fanOut)), random, fanIn, fanOut);

    /// <summary>He/Kaiming normal: N(0, 2 / fanIn).</summary>
    public static Tensor HeNormal(int fanIn, int fanOut, Random random)
        => Normal(MathF.Sqrt(2f / fanIn), random, fanIn, fanOut);

    /// <summary>He/Kaiming uniform: U(-a, a) with a = √(6 / fanIn).</summary>
    public static Tensor HeUniform(int fanIn, int fanOut, Random random)
        => Uniform(MathF.Sqrt(6f / fanIn), random, fanIn, fanOut);

    /// <summary>Values from U(-limit, limit).</summary>
    public static Tensor Uniform(float limit, Random random, params int[] shape)
    {
        var t = new Tensor(shape);
        Span<float> s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)((random.NextDouble() * 2 - 1) * limit);
        }

        return t;
    }

    /// <summary>Values from N(0, std²) (Box-Muller).</summary>
    public static Tensor Normal(float std, Random random, params int[] shape)
    {
        var t = new Tensor(shape);
        Span<float> s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            s[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return t;
    }
}
