using Autodiff;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// Hessian-vector products of model losses (<c>{Method}Hvp</c>, forward over reverse on the tape) for every kind of
/// model code the forward-mode tests cover: layers, float arithmetic (sums, products, quotients, negation), frozen
/// tensors, loops over layers, counted and while loops, branches, nested loops, inlined tensor functions and a recurrent
/// net. Each against central finite differences of the generated gradient along the direction, (g(θ + h·v) -
/// g(θ - h·v)) / 2h, and against the symmetry of the Hessian, u · (H v) = v · (H u); the gradient that comes out beside
/// the product is the one <c>{Method}Gradient</c> writes.
/// </summary>
/// <remarks>
/// Tolerances. The finite difference of the gradient has truncation error h² times a third derivative along v
/// (h = 1e-3, v uniform in [-0.5, 0.5)) and rounding about ε · |g| / h ≈ 1e-4 per entry. The step is ten times smaller
/// than the first-order tests' because a ReLU unit whose input crosses zero within the step makes the gradient jump: at
/// h = 1e-2 the MLP's difference was dominated by such jumps. The comparison is of whole vectors: the error's norm within
/// 2e-2 of the finite difference's norm (a wrong rule is off by O(1) of it), each entry within 2e-2 · max(1, ‖fd‖).
/// Symmetry compares two float sums of the same number: 1e-3 · max(1, |·|).
/// </remarks>
public class ModelHvpTests
{
    [Fact]
    public void An_mlps_loss()
    {
        var model = new TinyMlp(6, 8, 3, seed: 3);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(10, 6, 3, 4);
        Check("TinyMlp", model, model.CreateGradient, g => model.LossGradient(x, labels, g), (v, hv, g) => model.LossHvp(x, labels, v, hv, g), () => model.Loss(x, labels));
    }

    [Fact]
    public void Layers_float_arithmetic_and_a_frozen_tensor()
    {
        var model = new LayeredNet(7, 9, 4, seed: 1);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(5, 7, 4, 2);
        Check("LayeredNet", model, model.CreateGradient, g => model.LossGradient(x, labels, 0.01f, g), (v, hv, g) => model.LossHvp(x, labels, 0.01f, v, hv, g),
            () => model.Loss(x, labels, 0.01f));
        var ratio = new RatioNet();
        (Tensor y, _) = LayerLoopTests.Batch(5, 4, 3, 17);
        Check("RatioNet", ratio, ratio.CreateGradient, g => ratio.LossGradient(y, g), (v, hv, g) => ratio.LossHvp(y, v, hv, g), () => ratio.Loss(y));
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(0, false)]
    public void Loops_over_layers_and_counted_loops(int steps, bool training)
    {
        var deep = new DeepNet(5, 7, 3, 4, seed: 1);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(6, 5, 4, 3);
        Check("DeepNet", deep, deep.CreateGradient, g => deep.LossGradient(x, labels, 0.01f, g), (v, hv, g) => deep.LossHvp(x, labels, 0.01f, v, hv, g), () => deep.Loss(x, labels, 0.01f));

        var tied = new TiedNet(5, 3, seed: 6) { Steps = steps };
        (Tensor y, int[] tiedLabels) = LayerLoopTests.Batch(4, 5, 3, 7);
        Check("TiedNet", tied, tied.CreateGradient, g => tied.LossGradient(y, tiedLabels, 11, training, g), (v, hv, g) => tied.LossHvp(y, tiedLabels, 11, training, v, hv, g),
            () => tied.Loss(y, tiedLabels, 11, training));

        var residual = new ResidualNet(6, steps, 3, seed: 4);
        (Tensor z, int[] residualLabels) = LayerLoopTests.Batch(5, 6, 3, 5);
        Check("ResidualNet", residual, residual.CreateGradient, g => residual.LossGradient(z, residualLabels, g), (v, hv, g) => residual.LossHvp(z, residualLabels, v, hv, g),
            () => residual.Loss(z, residualLabels));
    }

    [Fact]
    public void A_recurrent_net()
    {
        var model = new SequenceNet(3, 5, 2, seed: 12);
        const int batch = 2, steps = 4;
        (Tensor sequence, _) = LayerLoopTests.Batch(batch * steps, 3, 2, 13);
        int[] labels = { 1, 0 };
        Check("SequenceNet", model, model.CreateGradient, g => model.LossGradient(sequence, batch, steps, labels, g),
            (v, hv, g) => model.LossHvp(sequence, batch, steps, labels, v, hv, g), () => model.Loss(sequence, batch, steps, labels));
    }

    [Theory]
    [InlineData(true, true, 0.1f)]
    [InlineData(false, false, 1000f)]
    public void Branches(bool residual, bool squash, float threshold)
    {
        var model = new BranchNet(5, 6, 3, seed: 5) { Residual = residual };
        Tensor x = Init.Uniform(1f, new Random(9), 4, 5);
        int[] labels = { 1, 0, 2, 2 };
        Check("BranchNet", model, model.CreateGradient, g => model.LossGradient(x, labels, squash, threshold, g),
            (v, hv, g) => model.LossHvp(x, labels, squash, threshold, v, hv, g), () => model.Loss(x, labels, squash, threshold));

        var gated = new GatedStack(5, 4, 3, seed: 11);
        Tensor y = Init.Uniform(1f, new Random(3), 6, 5);
        int[] gatedLabels = { 0, 1, 2, 0, 1, 2 };
        Check("GatedStack", gated, gated.CreateGradient, g => gated.LossGradient(y, gatedLabels, g), (v, hv, g) => gated.LossHvp(y, gatedLabels, v, hv, g), () => gated.Loss(y, gatedLabels));
    }

    [Fact]
    public void Nested_loops_while_loops_and_tensor_functions()
    {
        var rounds = new RoundsNet(5, 2, 3, seed: 3);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(4, 5, 3, 2);
        Check("RoundsNet", rounds, rounds.CreateGradient, g => rounds.LossGradient(x, labels, 2, true, g), (v, hv, g) => rounds.LossHvp(x, labels, 2, true, v, hv, g),
            () => rounds.Loss(x, labels, 2, true));

        var staged = new StagedNet(4, new[] { 2, 0, 3 }, 3, seed: 5);
        (Tensor s, int[] stagedLabels) = LayerLoopTests.Batch(3, 4, 3, 6);
        Check("StagedNet", staged, staged.CreateGradient, g => staged.LossGradient(s, stagedLabels, g), (v, hv, g) => staged.LossHvp(s, stagedLabels, v, hv, g), () => staged.Loss(s, stagedLabels));

        var grow = new GrowNet(5, 3, seed: 8);
        Check("GrowNet.Counted", grow, grow.CreateGradient, g => grow.CountedGradient(x, labels, 2.5f, g), (v, hv, g) => grow.CountedHvp(x, labels, 2.5f, v, hv, g),
            () => grow.Counted(x, labels, 2.5f));
        Check("GrowNet.Grow", grow, grow.CreateGradient, g => grow.GrowGradient(x, labels, 2f, g), (v, hv, g) => grow.GrowHvp(x, labels, 2f, v, hv, g), () => grow.Grow(x, labels, 2f));

        var functions = new FunctionNet(5, 6, 3, seed: 3);
        Check("FunctionNet", functions, functions.CreateGradient, g => functions.LossGradient(x, labels, 0.05f, g), (v, hv, g) => functions.LossHvp(x, labels, 0.05f, v, hv, g),
            () => functions.Loss(x, labels, 0.05f));
    }

    [Fact]
    public void The_product_is_linear_in_the_direction_and_repeats_exactly()
    {
        var model = new LayeredNet(7, 9, 4, seed: 2);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(5, 7, 4, 8);
        LayeredNet.Gradient u = ForwardModeTests.Direction(model.CreateGradient(), seed: 1), v = ForwardModeTests.Direction(model.CreateGradient(), seed: 2);
        LayeredNet.Gradient sum = model.CreateGradient();
        foreach ((_, Tensor s, Tensor a) in FiniteDifferences.Pairs(sum, u))
        {
            a.CopyTo(s);
        }

        foreach ((_, Tensor s, Tensor b) in FiniteDifferences.Pairs(sum, v))
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Span, 2f, s.Span, s.Span);
        }

        LayeredNet.Gradient hu = model.CreateGradient(), hv = model.CreateGradient(), hs = model.CreateGradient(), again = model.CreateGradient();
        model.LossHvp(x, labels, 0.01f, u, hu);
        model.LossHvp(x, labels, 0.01f, v, hv);
        model.LossHvp(x, labels, 0.01f, sum, hs);
        model.LossHvp(x, labels, 0.01f, v, again);
        foreach ((string name, Tensor s, Tensor a) in FiniteDifferences.Pairs(hs, hu))
        {
            Tensor b = hv.Tensors().First(t => t.Name == name).Value;
            for (int i = 0; i < s.Length; i++)
            {
                Assert.True(Math.Abs(s[i] - (a[i] + 2 * b[i])) <= 1e-4 * Math.Max(1, Math.Abs(s[i])), $"{name}[{i}]: H(u + 2v) {s[i]} vs Hu + 2Hv {a[i] + 2 * b[i]}");
            }
        }

        // A second call overwrites: the same product, bitwise.
        foreach ((_, Tensor first, Tensor second) in FiniteDifferences.Pairs(hv, again))
        {
            Assert.Equal(first.Span.ToArray(), second.Span.ToArray());
        }
    }

    /// <summary>The product along a seeded direction against finite differences of the gradient, the gradient beside it, and symmetry.</summary>
    private static void Check<TG>(string name, ITensorSet model, Func<TG> create, Func<TG, float> gradientOf, Func<TG, TG, TG?, float> hvp, Func<float> loss)
        where TG : class, ITensorSet
    {
        TG v = ForwardModeTests.Direction(create(), seed: name.Length), u = ForwardModeTests.Direction(create(), seed: name.Length + 7);
        TG hv = create(), hu = create(), gradient = create(), expected = create();
        float value = hvp(v, hv, gradient);
        Assert.Equal(loss(), value, 5);
        gradientOf(expected);
        foreach ((string tensor, Tensor got, Tensor want) in FiniteDifferences.Pairs(gradient, expected))
        {
            Assert.True(got.Span.SequenceEqual(want.Span), $"{name}: the gradient beside the product differs from {tensor}'s gradient");
        }

        // The tangents live on the tape and are written again by each call: after a product along another direction,
        // the product along v is the same, bit for bit (before the finite differences below move the parameters).
        TG again = create();
        hvp(u, hu, null);
        hvp(v, again, null);
        foreach ((string tensor, Tensor got, Tensor want) in FiniteDifferences.Pairs(again, hv))
        {
            Assert.True(got.Span.SequenceEqual(want.Span), $"{name}: H·v differs from {tensor}'s on a call after another direction");
        }

        const float h = 1e-3f;
        TG plus = create(), minus = create();
        FiniteDifferences.Shift(model, v, h);
        gradientOf(plus);
        FiniteDifferences.Shift(model, v, -2 * h);
        gradientOf(minus);
        FiniteDifferences.Shift(model, v, h);
        double errorSquared = 0, normSquared = 0;
        var entries = new List<(string Name, int Index, double Fd, float Hv)>();
        foreach ((string tensor, Tensor p, Tensor product) in FiniteDifferences.Pairs(plus, hv))
        {
            Tensor m = minus.Tensors().First(t => t.Name == tensor).Value;
            for (int i = 0; i < p.Length; i++)
            {
                double fd = (p[i] - (double)m[i]) / (2 * h);
                errorSquared += (fd - product[i]) * (fd - product[i]);
                normSquared += fd * fd;
                entries.Add((tensor, i, fd, product[i]));
            }
        }

        double norm = Math.Sqrt(normSquared), error = Math.Sqrt(errorSquared);
        Assert.True(norm > 1e-3, $"{name}: the finite difference is zero; the check would prove nothing");
        Assert.True(error <= 2e-2 * Math.Max(1, norm), $"{name}: |Hv - fd| = {error:G4} against |fd| = {norm:G4}");
        foreach ((string tensor, int i, double fd, float product) in entries)
        {
            Assert.True(Math.Abs(fd - product) <= 2e-2 * Math.Max(1, norm), $"{name}: {tensor}[{i}]: Hv {product:G6} vs finite difference {fd:G6}");
        }

        hvp(u, hu, null);
        double uHv = FiniteDifferences.Pairs(u, hv).Sum(t => TensorOpTests.Dot(t.Value, t.Gradient));
        double vHu = FiniteDifferences.Pairs(v, hu).Sum(t => TensorOpTests.Dot(t.Value, t.Gradient));
        Assert.True(Math.Abs(uHv - vHu) <= 1e-3 * Math.Max(1, Math.Abs(uHv)), $"{name}: u·Hv = {uHv:G8} but v·Hu = {vHu:G8}");

    }

    [Fact]
    public void An_hvp_allocates_nothing_after_warm_up()
    {
        // The JVPs write into the tangents the previous call left on the tape, the curvature terms into per-thread
        // scratch tensors, and the gradient beside the product is the model's own.
        var model = new LayeredNet(7, 9, 4, seed: 1);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(5, 7, 4, 2);
        var v = ForwardModeTests.Direction(model.CreateGradient(), seed: 3);
        var hv = model.CreateGradient();
        List<long> rounds = Allocation.ByRound(5, _ => model.LossHvp(x, labels, 0.01f, v, hv));

        Assert.True(rounds[^1] == 0, $"bytes allocated by 5 HVPs, round by round: {string.Join(", ", rounds)}");
    }
}
