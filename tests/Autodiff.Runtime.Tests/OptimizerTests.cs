using Autodiff.Optimizers;
using Xunit;

namespace Autodiff.Runtime.Tests;

public static partial class Objectives
{
    [Differentiable]
    public static double Rosenbrock(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

    [Differentiable]
    public static double Quadratic(double[] p)
    {
        double s = 0;
        for (int i = 0; i < p.Length; i++)
        {
            s += (i + 1) * (p[i] - i) * (p[i] - i);
        }

        return s;
    }
}

[Collection(ThreadCount.Collection)]
public class OptimizerTests
{
    private static double OneStep(Optimizer optimizer, double p, double g)
    {
        double[] parameters = { p };
        optimizer.Step<double>(parameters, new[] { g });
        return parameters[0];
    }

    [Fact]
    public void Sgd_MatchesFormula() => Assert.Equal(1.0 - 0.1 * 2.0, OneStep(new Sgd(0.1), 1.0, 2.0), 15);

    [Fact]
    public void SgdWithL2_AddsDecayToGradient() => Assert.Equal(1.0 - 0.1 * (2.0 + 0.5 * 1.0), OneStep(new Sgd(0.1, weightDecay: 0.5), 1.0, 2.0), 15);

    [Fact]
    public void Momentum_TwoSteps()
    {
        var sgd = new Sgd(0.1, momentum: 0.9);
        double[] p = { 1.0 };
        sgd.Step<double>(p, new[] { 2.0 });   // v = 2, p = 1 - 0.2
        sgd.Step<double>(p, new[] { -1.0 });  // v = 0.9*2 - 1 = 0.8, p = 0.8 - 0.08
        Assert.Equal(0.72, p[0], 15);
    }

    [Fact]
    public void Nesterov_LooksAhead()
    {
        var sgd = new Sgd(0.1, momentum: 0.9, nesterov: true);
        double[] p = { 1.0 };
        sgd.Step<double>(p, new[] { 2.0 });   // v = 2; p -= 0.1 (2 + 0.9*2) = 0.38
        Assert.Equal(1.0 - 0.38, p[0], 15);
        sgd.Step<double>(p, new[] { -1.0 });  // v = 0.8; p -= 0.1 (-1 + 0.72)
        Assert.Equal(0.62 + 0.028, p[0], 15);
    }

    [Fact]
    public void AdaGrad_MatchesFormula()
    {
        var opt = new AdaGrad(0.5);
        double[] p = { 1.0 };
        opt.Step<double>(p, new[] { 2.0 });   // s = 4, step 0.5*2/2
        Assert.Equal(0.5, p[0], 9);
        opt.Step<double>(p, new[] { 1.0 });   // s = 5, step 0.5/√5
        Assert.Equal(0.5 - 0.5 / Math.Sqrt(5), p[0], 9);
    }

    [Fact]
    public void AdaGrad_AddsEpsilonOutsideTheSquareRoot()
    {
        // ε = 0.1 and g = 2: 2 / (√4 + 0.1) = 0.952, where 2 / √(4 + 0.1) would be 0.988. 37 values run the vector body and the tail.
        var opt = new AdaGrad(0.5, epsilon: 0.1);
        double[] p = Enumerable.Repeat(1.0, 37).ToArray();
        opt.Step<double>(p, Enumerable.Repeat(2.0, 37).ToArray());
        Assert.All(p, v => Assert.Equal(1.0 - 0.5 * 2 / (2 + 0.1), v, 12));
        var single = new AdaGrad(0.5, epsilon: 0.1);
        float[] f = Enumerable.Repeat(1f, 37).ToArray();
        single.Step<float>(f, Enumerable.Repeat(2f, 37).ToArray());
        Assert.All(f, v => Assert.Equal(1.0 - 0.5 * 2 / (2 + 0.1), v, 5));
    }

    [Fact]
    public void RmsProp_MatchesFormula()
    {
        var opt = new RmsProp(0.01, rho: 0.9);
        double[] p = { 1.0 };
        opt.Step<double>(p, new[] { 2.0 });   // s = 0.4
        Assert.Equal(1.0 - 0.01 * 2 / (Math.Sqrt(0.4) + 1e-8), p[0], 12);
    }

    [Fact]
    public void Adam_FirstTwoSteps_WithBiasCorrection()
    {
        var adam = new Adam(0.1);
        double[] p = { 1.0 };
        adam.Step<double>(p, new[] { 2.0 });
        // m = 0.2, v = 0.004; m̂ = 2, v̂ = 4: the first step is lr·sign(g) (up to ε)
        Assert.Equal(1.0 - 0.1 * 2 / (2 + 1e-8), p[0], 12);
        adam.Step<double>(p, new[] { -1.0 });
        double m = 0.9 * 0.2 - 0.1, v = 0.999 * 0.004 + 0.001;
        double mHat = m / (1 - 0.81), vHat = v / (1 - 0.999 * 0.999);
        Assert.Equal(1.0 - 0.1 * 2 / (2 + 1e-8) - 0.1 * mHat / (Math.Sqrt(vHat) + 1e-8), p[0], 12);
    }

    [Fact]
    public void EachSlot_CountsItsOwnSteps()
    {
        // Two tensors stepped by one optimizer behave like two optimizers (bias correction per slot).
        var shared = new Adam(0.1);
        var alone = new Adam(0.1);
        double[] a = { 1.0 }, b = { 1.0 }, c = { 1.0 };
        for (int step = 0; step < 3; step++)
        {
            shared.Step<double>(a, new[] { 0.5 }, slot: 0);
            shared.Step<double>(b, new[] { 0.5 }, slot: 7);
            alone.Step<double>(c, new[] { 0.5 });
        }

        Assert.Equal(c[0], a[0], 15);
        Assert.Equal(c[0], b[0], 15);
        Assert.Equal(3, shared.StepCount);
    }

    [Fact]
    public void AdamW_DecouplesDecay() => Assert.Equal(2.0 * (1 - 0.1 * 0.5), OneStep(new AdamW(0.1, weightDecay: 0.5), 2.0, 0.0), 12);

    public static IEnumerable<object[]> All() => new[]
    {
        new object[] { "sgd" }, new object[] { "momentum" }, new object[] { "nesterov" }, new object[] { "adagrad" },
        new object[] { "rmsprop" }, new object[] { "adam" }, new object[] { "adamw" },
    };

    private static Optimizer Make(string name, double? clipValue = null) => name switch
    {
        "sgd" => new Sgd(0.05) { ClipValue = clipValue },
        "momentum" => new Sgd(0.02, momentum: 0.9) { ClipValue = clipValue },
        "nesterov" => new Sgd(0.02, momentum: 0.9, nesterov: true) { ClipValue = clipValue },
        "adagrad" => new AdaGrad(0.5) { ClipValue = clipValue },
        "rmsprop" => new RmsProp(0.01) { ClipValue = clipValue },
        "adam" => new Adam(0.05) { ClipValue = clipValue },
        _ => new AdamW(0.05, weightDecay: 0.001) { ClipValue = clipValue },
    };

    [Theory]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void DecayingState_IsFlushedToZero_BelowTheSmallestNormal(string name)
    {
        // A gradient that goes to zero leaves its moments decaying geometrically: through the subnormal range, where
        // arithmetic is slow, they are flushed to zero instead, in the vector body and the scalar tail alike (37 floats:
        // two Vector512 and a tail of 5). The parameters stop moving once the state is zero.
        Optimizer optimizer = Make(name), single = Make(name);
        float[] p = Enumerable.Range(0, 37).Select(i => 1f + i).ToArray(), q = (float[])p.Clone();
        // One gradient of 1e-15, then zeros: a first moment of 1e-16 reaches the subnormals after about 200 steps at
        // β = 0.9, Adam's second moment of 1e-33 after about 11,500 steps at β2 = 0.999 (and would take 27,000 to
        // underflow to zero by itself).
        float[] g = Enumerable.Repeat(1e-15f, 37).ToArray(), zero = new float[37];
        for (int step = 0; step < 15_000; step++)
        {
            float[] grad = step == 0 ? g : zero;
            optimizer.Step<float>(p, grad, slot: 0);
            for (int i = 0; i < 37; i++)
            {
                single.Step<float>(q.AsSpan(i, 1), grad.AsSpan(i, 1), slot: 1 + i);
            }

            foreach (float[] state in optimizer.GetState<float>(0))
            {
                Assert.DoesNotContain(state, float.IsSubnormal);
            }
        }

        Assert.Equal(q, p);
        Assert.All(optimizer.GetState<float>(0), state => Assert.All(state, value => Assert.Equal(0f, value)));

        // double: the same below 2.2e-308
        Optimizer d = Make(name);
        double[] pd = { 1.0, 2.0, 3.0 };
        d.Step<double>(pd, new[] { 1e-300, 1e-300, 1e-300 });
        for (int step = 0; step < 3000; step++)
        {
            d.Step<double>(pd, new double[3]);
            Assert.All(d.GetState<double>(0), state => Assert.DoesNotContain(state, double.IsSubnormal));
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void VectorisedPath_MatchesElementwiseSteps_AcrossLengths(string name)
    {
        // Lengths 0..3 vector widths + 1 exercise the SIMD body (Vector512 where the machine has it) and the scalar
        // tail; one slot per length. The same operations per element, so the same bits.
        var random = new Random(3);
        Optimizer whole = Make(name), single = Make(name);
        for (int length = 0; length <= 3 * System.Runtime.Intrinsics.Vector512<double>.Count + 1; length++)
        {
            double[] p = Enumerable.Range(0, length).Select(_ => random.NextDouble()).ToArray();
            double[] q = (double[])p.Clone();
            for (int step = 0; step < 3; step++)
            {
                double[] g = Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5).ToArray();
                whole.Step<double>(p, g, slot: length + 1);
                for (int i = 0; i < length; i++)
                {
                    single.Step<double>(q.AsSpan(i, 1), g.AsSpan(i, 1), slot: 1000 * (length + 1) + i);
                }
            }

            for (int i = 0; i < length; i++)
            {
                Assert.Equal(q[i], p[i]);
            }
        }

        // float: 16 lanes per Vector512
        Optimizer wholeF = Make(name), singleF = Make(name);
        float[] pf = Enumerable.Range(0, 37).Select(_ => (float)random.NextDouble()).ToArray();
        float[] qf = (float[])pf.Clone();
        for (int step = 0; step < 3; step++)
        {
            float[] g = Enumerable.Range(0, 37).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            wholeF.Step<float>(pf, g, slot: 1);
            for (int i = 0; i < 37; i++)
            {
                singleF.Step<float>(qf.AsSpan(i, 1), g.AsSpan(i, 1), slot: 100 + i);
            }
        }

        Assert.Equal(qf, pf);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void FloatAndDouble_Agree(string name)
    {
        Optimizer d = Make(name), f = Make(name);
        double[] pd = { 0.3, -0.2, 0.9, 1.4, -0.7 };
        float[] pf = pd.Select(v => (float)v).ToArray();
        for (int step = 0; step < 5; step++)
        {
            double[] g = pd.Select((v, i) => Math.Sin(v + i + step)).ToArray();
            d.Step<double>(pd, g);
            f.Step<float>(pf, g.Select(v => (float)v).ToArray());
        }

        for (int i = 0; i < pd.Length; i++)
        {
            Assert.Equal(pd[i], pf[i], 4);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void SplitOverTwoThreads_GivesBitwiseTheOneThreadSteps(string name)
    {
        // Long enough to be split (two parts of at least 32k), with a length that leaves a ragged last part;
        // float and double, with gradient clipping on for one of the runs (the clipped copy is what gets split).
        int saved = Tensor.Threads;
        try
        {
            foreach (int length in new[] { 100_003, 65_600 })
            {
                var random = new Random(length);
                float[] start = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                float[][] gradients = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
                float[] Run(int threads, bool clip)
                {
                    Tensor.Threads = threads;
                    Optimizer optimizer = Make(name, clip ? 0.3 : null);

                    float[] p = (float[])start.Clone();
                    foreach (float[] g in gradients)
                    {
                        optimizer.Step<float>(p, g);
                    }

                    return p;
                }

                Assert.Equal(Run(1, false), Run(2, false));
                Assert.Equal(Run(1, true), Run(2, true));

                double[] startD = start.Select(v => (double)v).ToArray();
                double[] RunD(int threads)
                {
                    Tensor.Threads = threads;
                    Optimizer optimizer = Make(name);
                    double[] p = (double[])startD.Clone();
                    foreach (float[] g in gradients)
                    {
                        optimizer.Step<double>(p, g.Select(v => (double)v).ToArray());
                    }

                    return p;
                }

                Assert.Equal(RunD(1), RunD(2));
            }
        }
        finally
        {
            Tensor.Threads = saved;
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void ConvexQuadratic_Converges(string name)
    {
        Optimizer optimizer = Make(name);
        double[] p = new double[6];
        double[] g = new double[6];
        for (int step = 0; step < 3000; step++)
        {
            Objectives.QuadraticGradient(p, g);
            optimizer.Step<double>(p, g);
        }

        for (int i = 0; i < p.Length; i++)
        {
            Assert.Equal(i, p[i], 2);
        }
    }

    [Fact]
    public void Rosenbrock_FromTheClassicStart_ConvergesWithAdam()
    {
        var adam = new Adam(0.01);
        double[] p = { -1.2, 1.0 };
        double[] g = new double[2];
        for (int step = 0; step < 20000; step++)
        {
            Objectives.RosenbrockGradient(p[0], p[1], out g[0], out g[1]);
            adam.Step<double>(p, g);
        }

        Assert.Equal(1.0, p[0], 3);
        Assert.Equal(1.0, p[1], 3);
        Assert.True(Objectives.Rosenbrock(p[0], p[1]) < 1e-6);
    }

    [Fact]
    public void ClipByValue_AndByNorm()
    {
        double[] p = { 0, 0 };
        new Sgd(1.0) { ClipValue = 0.5 }.Step<double>(p, new[] { 3.0, -0.25 });
        Assert.Equal(new[] { -0.5, 0.25 }, p);

        double[] q = { 0, 0 };
        double[] g = { 3.0, 4.0 };
        new Sgd(1.0) { ClipNorm = 1.0 }.Step<double>(q, g);
        Assert.Equal(-0.6, q[0], 12);
        Assert.Equal(-0.8, q[1], 12);
        Assert.Equal(new[] { 3.0, 4.0 }, g); // the caller's gradient is left alone
    }

    [Fact]
    public void Schedules_MatchTheirFormulas()
    {
        Assert.Equal(0.01, new StepDecay(1.0, every: 10, gamma: 0.1).Rate(25), 12);
        Assert.Equal(0.25, new ExponentialDecay(1.0, 0.5).Rate(2), 12);
        Assert.Equal(0.5, new CosineDecay(1.0, 10).Rate(5), 12);
        Assert.Equal(0.0, new CosineDecay(1.0, 10).Rate(12), 12);
        Assert.Equal(0.25, new LinearWarmup(new ExponentialDecay(1.0, 1.0), 3).Rate(0), 12);
        Assert.Equal(1.0, new LinearWarmup(new ExponentialDecay(1.0, 1.0), 3).Rate(3), 12);

        var plateau = new ReduceOnPlateau(1.0, factor: 0.5, patience: 2);
        double[] losses = { 3, 2, 2, 2, 2, 1 };
        double[] rates = losses.Select(plateau.Observe).ToArray();
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 1.0, 0.5, 0.5 }, rates);
    }

    [Fact]
    public void Ema_AveragesParameters()
    {
        var ema = new ExponentialMovingAverage<double>(1, decay: 0.5);
        ema.Update(new[] { 2.0 });
        ema.Update(new[] { 4.0 });
        Assert.Equal(3.0, ema.Average[0], 12);
    }

    [Fact]
    public void BadSettings_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0.1, momentum: 1.5));
        Assert.Throws<ArgumentException>(() => new Sgd(0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Adam().Step<double>(new double[3], new double[2]));
        var adam = new Adam();
        adam.Step<double>(new double[3], new double[3]);
        Assert.Throws<ArgumentException>(() => adam.Step<double>(new double[4], new double[4]));
    }
}
