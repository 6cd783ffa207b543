using Autodiff;
using Autodiff.Layers;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// Forward mode of model methods (<c>{Method}Jvp</c>): the directional derivative along a random direction in
/// parameter space (a <c>Gradient</c>-shaped tangent) and along input tangents, against central finite differences
/// along the same direction and against reverse mode (gradient · direction), for every kind of model code: layers,
/// float arithmetic, frozen tensors, loops over layers, counted and while loops, branches, nested loops, inlined
/// tensor functions, a recurrent net with a tangent for its input sequence.
/// </summary>
/// <remarks>
/// Tolerances: the finite difference moves every parameter at once by h · d (h = 1e-2, d uniform in [-0.5, 0.5)),
/// so its truncation error is h² times a third derivative along d and its rounding ε · |L| / h: 3e-3 · max(1, |fd|)
/// as for single entries (FiniteDifferences). Reverse mode and forward mode compute the same number in float along
/// two routes, a few hundred terms of size ≤ 1: 1e-3 · max(1, |·|) separates rounding from a wrong rule.
/// </remarks>
public class ForwardModeTests
{
    [Fact]
    public void AnMlpsLoss_HasTheDirectionalDerivative_OfFiniteDifferencesAndOfItsGradient()
    {
        var model = new TinyMlp(6, 8, 3, seed: 3);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(10, 6, 3, 4);
        TinyMlp.Gradient direction = Direction(model.CreateGradient(), seed: 1), gradient = model.CreateGradient();
        (float value, float tangent) = model.LossJvp(x, labels, direction);
        Assert.Equal(model.Loss(x, labels), value, 5);
        model.LossGradient(x, labels, gradient);
        Check("TinyMlp", model, direction, gradient, tangent, () => model.Loss(x, labels));

        // The direction of steepest ascent: the derivative along the gradient is its squared norm.
        (_, float along) = model.LossJvp(x, labels, gradient);
        double norm = gradient.Tensors().Sum(t => TensorOpTests.Dot(t.Value, t.Value));
        Assert.True(Math.Abs(along - norm) <= 1e-3 * Math.Max(1, norm), $"along the gradient {along} vs |g|² {norm}");
    }

    [Fact]
    public void ATensorValuedMethod_PushesTangentsOfParametersAndOfItsInput()
    {
        var model = new TinyMlp(5, 7, 4, seed: 5);
        (Tensor x, _) = LayerLoopTests.Batch(6, 5, 4, 6);
        TinyMlp.Gradient direction = Direction(model.CreateGradient(), seed: 2);
        Tensor tx = Init.Uniform(0.5f, new Random(7), 6, 5);
        (Tensor value, Tensor tangent) = model.ForwardJvp(x, direction, tx);
        Assert.Equal(model.Forward(x).Span.ToArray(), value.Span.ToArray());

        const float h = 1e-2f;
        FiniteDifferences.Shift(model, direction, h);
        Tensor plus = model.Forward(x + tx * h);
        FiniteDifferences.Shift(model, direction, -2 * h);
        Tensor minus = model.Forward(x - tx * h);
        FiniteDifferences.Shift(model, direction, h);
        for (int i = 0; i < tangent.Length; i++)
        {
            double fd = (plus[i] - (double)minus[i]) / (2 * h);
            Assert.True(Math.Abs(fd - tangent[i]) <= 3e-3 * Math.Max(1, Math.Abs(fd)), $"[{i}]: JVP {tangent[i]} vs finite difference {fd}");
        }

        // No tangent at all: zeros shaped like the value (not null).
        TinyMlp.Gradient zero = model.CreateGradient();
        (_, Tensor none) = model.ForwardJvp(x, zero);
        Assert.Equal(value.ShapeText, none.ShapeText);
        Assert.All(none.Span.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ADenseLayer_IsAModelToo()
    {
        var layer = new Dense(4, 3, new Random(1));
        (Tensor x, _) = LayerLoopTests.Batch(2, 4, 3, 3);
        Dense.Gradient direction = Direction(layer.CreateGradient(), seed: 3);
        (Tensor value, Tensor tangent) = layer.ForwardJvp(x, direction);
        // linear in the parameters: x · dW + db exactly
        Tensor expected = Tensor.MatMul(x, direction.Weight) + direction.Bias;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], tangent[i], 5);
        }

        Assert.Equal(layer.Forward(x).Span.ToArray(), value.Span.ToArray());
    }

    [Fact]
    public void LayersFloatArithmeticAndAFrozenTensor()
    {
        var model = new LayeredNet(7, 9, 4, seed: 1);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(5, 7, 4, 2);
        LayeredNet.Gradient direction = Direction(model.CreateGradient(), seed: 4), gradient = model.CreateGradient();
        (float value, float tangent) = model.LossJvp(x, labels, 0.01f, direction);
        Assert.Equal(model.Loss(x, labels, 0.01f), value, 5);
        model.LossGradient(x, labels, 0.01f, gradient);
        Check("LayeredNet", model, direction, gradient, tangent, () => model.Loss(x, labels, 0.01f));
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(0, false)]
    public void LoopsOverLayersAndCountedLoops(int steps, bool training)
    {
        var deep = new DeepNet(5, 7, 3, 4, seed: 1);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(6, 5, 4, 3);
        DeepNet.Gradient dd = Direction(deep.CreateGradient(), seed: 5), gd = deep.CreateGradient();
        deep.LossGradient(x, labels, 0.01f, gd);
        Check("DeepNet", deep, dd, gd, deep.LossJvp(x, labels, 0.01f, dd).Tangent, () => deep.Loss(x, labels, 0.01f));

        var tied = new TiedNet(5, 3, seed: 6) { Steps = steps };
        (Tensor y, int[] tiedLabels) = LayerLoopTests.Batch(4, 5, 3, 7);
        TiedNet.Gradient dt = Direction(tied.CreateGradient(), seed: 6), gt = tied.CreateGradient();
        tied.LossGradient(y, tiedLabels, 11, training, gt);
        Check("TiedNet", tied, dt, gt, tied.LossJvp(y, tiedLabels, 11, training, dt).Tangent, () => tied.Loss(y, tiedLabels, 11, training));

        var residual = new ResidualNet(6, steps, 3, seed: 4);
        (Tensor z, int[] residualLabels) = LayerLoopTests.Batch(5, 6, 3, 5);
        ResidualNet.Gradient dr = Direction(residual.CreateGradient(), seed: 7), gr = residual.CreateGradient();
        residual.LossGradient(z, residualLabels, gr);
        Check("ResidualNet", residual, dr, gr, residual.LossJvp(z, residualLabels, dr).Tangent, () => residual.Loss(z, residualLabels));
    }

    [Fact]
    public void ARecurrentNet_TakesATangentForItsSequence()
    {
        var model = new SequenceNet(3, 5, 2, seed: 12);
        const int batch = 2, steps = 4;
        (Tensor sequence, _) = LayerLoopTests.Batch(batch * steps, 3, 2, 13);
        int[] labels = { 1, 0 };
        SequenceNet.Gradient direction = Direction(model.CreateGradient(), seed: 8), gradient = model.CreateGradient();
        var tape = new SequenceNet.LossTape();
        var dSequence = new Tensor(batch * steps, 3);
        model.LossRecord(tape, sequence, batch, steps, labels);
        model.LossBackward(tape, sequence, batch, steps, labels, 1f, gradient, dSequence);

        // parameters only, then the sequence only (a zero parameter direction), then both: linear in the tangent
        float alongParameters = model.LossJvp(sequence, batch, steps, labels, direction).Tangent;
        Check("SequenceNet", model, direction, gradient, alongParameters, () => model.Loss(sequence, batch, steps, labels));
        Tensor tSequence = Init.Uniform(0.5f, new Random(9), batch * steps, 3);
        float alongSequence = model.LossJvp(sequence, batch, steps, labels, model.CreateGradient(), tSequence).Tangent;
        const float h = 1e-2f;
        double fd = (model.Loss(sequence + tSequence * h, batch, steps, labels) - (double)model.Loss(sequence - tSequence * h, batch, steps, labels)) / (2 * h);
        Assert.True(Math.Abs(fd - alongSequence) <= 3e-3 * Math.Max(1, Math.Abs(fd)), $"sequence: JVP {alongSequence} vs finite difference {fd}");
        Assert.True(Math.Abs(TensorOpTests.Dot(dSequence, tSequence) - alongSequence) <= 1e-3 * Math.Max(1, Math.Abs(fd)), "sequence: JVP vs reverse mode");
        float both = model.LossJvp(sequence, batch, steps, labels, direction, tSequence).Tangent;
        Assert.Equal(alongParameters + alongSequence, both, 4);
    }

    [Theory]
    [InlineData(true, true, 0.1f)]
    [InlineData(false, false, 1000f)]
    public void BranchesReplayTheSideThatRan(bool residual, bool squash, float threshold)
    {
        var model = new BranchNet(5, 6, 3, seed: 5) { Residual = residual };
        Tensor x = Init.Uniform(1f, new Random(9), 4, 5);
        int[] labels = { 1, 0, 2, 2 };
        BranchNet.Gradient direction = Direction(model.CreateGradient(), seed: 10), gradient = model.CreateGradient();
        model.LossGradient(x, labels, squash, threshold, gradient);
        Check("BranchNet", model, direction, gradient, model.LossJvp(x, labels, squash, threshold, direction).Tangent, () => model.Loss(x, labels, squash, threshold));

        var gated = new GatedStack(5, 4, 3, seed: 11);
        Tensor y = Init.Uniform(1f, new Random(3), 6, 5);
        int[] gatedLabels = { 0, 1, 2, 0, 1, 2 };
        GatedStack.Gradient dg = Direction(gated.CreateGradient(), seed: 11), gg = gated.CreateGradient();
        gated.LossGradient(y, gatedLabels, gg);
        Check("GatedStack", gated, dg, gg, gated.LossJvp(y, gatedLabels, dg).Tangent, () => gated.Loss(y, gatedLabels));
    }

    [Fact]
    public void NestedLoopsWhileLoopsAndTensorFunctions()
    {
        var rounds = new RoundsNet(5, 2, 3, seed: 3);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(4, 5, 3, 2);
        RoundsNet.Gradient dr = Direction(rounds.CreateGradient(), seed: 12), gr = rounds.CreateGradient();
        rounds.LossGradient(x, labels, 2, true, gr);
        Check("RoundsNet", rounds, dr, gr, rounds.LossJvp(x, labels, 2, true, dr).Tangent, () => rounds.Loss(x, labels, 2, true));

        var staged = new StagedNet(4, new[] { 2, 0, 3 }, 3, seed: 5);
        (Tensor s, int[] stagedLabels) = LayerLoopTests.Batch(3, 4, 3, 6);
        StagedNet.Gradient ds = Direction(staged.CreateGradient(), seed: 13), gs = staged.CreateGradient();
        staged.LossGradient(s, stagedLabels, gs);
        Check("StagedNet", staged, ds, gs, staged.LossJvp(s, stagedLabels, ds).Tangent, () => staged.Loss(s, stagedLabels));

        var grow = new GrowNet(5, 3, seed: 8);
        GrowNet.Gradient dw = Direction(grow.CreateGradient(), seed: 14), gw = grow.CreateGradient();
        grow.CountedGradient(x, labels, 2.5f, gw);
        Check("GrowNet.Counted", grow, dw, gw, grow.CountedJvp(x, labels, 2.5f, dw).Tangent, () => grow.Counted(x, labels, 2.5f));
        grow.GrowGradient(x, labels, 2f, gw);
        Check("GrowNet.Grow", grow, dw, gw, grow.GrowJvp(x, labels, 2f, dw).Tangent, () => grow.Grow(x, labels, 2f));

        var functions = new FunctionNet(5, 6, 3, seed: 3);
        FunctionNet.Gradient df = Direction(functions.CreateGradient(), seed: 15), gf = functions.CreateGradient();
        functions.LossGradient(x, labels, 0.05f, gf);
        Check("FunctionNet", functions, df, gf, functions.LossJvp(x, labels, 0.05f, df).Tangent, () => functions.Loss(x, labels, 0.05f));
    }

    [Fact]
    public void FloatArithmetic_QuotientsNegationProducts()
    {
        var model = new RatioNet();
        (Tensor x, _) = LayerLoopTests.Batch(5, 4, 3, 17);
        RatioNet.Gradient direction = Direction(model.CreateGradient(), seed: 17), gradient = model.CreateGradient();
        (float value, float tangent) = model.LossJvp(x, direction);
        Assert.Equal(model.Loss(x), value, 5);
        model.LossGradient(x, gradient);
        Check("RatioNet", model, direction, gradient, tangent, () => model.Loss(x));
    }

    [Fact]
    public void Jvp_LeavesTheTrainingTapeAlone()
    {
        var model = new TinyMlp(6, 8, 3, seed: 3);
        (Tensor x, int[] labels) = LayerLoopTests.Batch(10, 6, 3, 4);
        var tape = new TinyMlp.LossTape();
        TinyMlp.Gradient direction = Direction(model.CreateGradient(), seed: 16), gradient = model.CreateGradient(), again = model.CreateGradient();
        model.LossRecord(tape, x, labels);
        (Tensor other, int[] otherLabels) = LayerLoopTests.Batch(3, 6, 3, 5);
        model.LossJvp(other, otherLabels, direction);
        model.LossBackward(tape, x, labels, 1f, gradient, null);
        model.LossGradient(x, labels, again);
        Assert.Equal(again.W1.Span.ToArray(), gradient.W1.Span.ToArray());
    }

    /// <summary>Fills a gradient-shaped object with a seeded direction in [-0.5, 0.5).</summary>
    internal static T Direction<T>(T tangent, int seed) where T : ITensorSet
    {
        var random = new Random(seed);
        foreach ((_, Tensor value) in tangent.Tensors())
        {
            Span<float> s = value.Span;
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = (float)(random.NextDouble() - 0.5);
            }
        }

        return tangent;
    }

    private static void Check(string name, ITensorSet model, ITensorSet direction, ITensorSet gradient, float tangent, Func<float> loss)
    {
        const float h = 1e-2f;
        FiniteDifferences.Shift(model, direction, h);
        double plus = loss();
        FiniteDifferences.Shift(model, direction, -2 * h);
        double minus = loss();
        FiniteDifferences.Shift(model, direction, h);
        double fd = (plus - minus) / (2 * h);
        double rounding = 8 * Math.Pow(2, -24) * Math.Max(Math.Abs(plus), Math.Abs(minus)) / (2 * h);
        Assert.True(Math.Abs(fd - tangent) <= 3e-3 * Math.Max(1, Math.Abs(fd)) + rounding, $"{name}: JVP {tangent:G6} vs finite difference {fd:G6}");
        double reverse = FiniteDifferences.Pairs(gradient, direction).Sum(p => TensorOpTests.Dot(p.Value, p.Gradient));
        Assert.True(Math.Abs(reverse - tangent) <= 1e-3 * Math.Max(1, Math.Abs(reverse)), $"{name}: JVP {tangent:G8} vs gradient · direction {reverse:G8}");
    }
}

/// <summary>Float arithmetic with every rule of forward mode: a quotient by an active value, negation, products, differences.</summary>
[Model]
public sealed partial class RatioNet
{
    public Tensor A = Init.Uniform(0.5f, new Random(1), 4, 3);
    public Tensor B = Init.Uniform(0.5f, new Random(2), 3);

    [Differentiable]
    public float Loss(Tensor x)
    {
        float a = Tensor.Mean(Tensor.Tanh(Tensor.MatMul(x, A)));
        float b = Tensor.Sum(B * B) + 1f;
        float c = -(a / b);
        return c + a * b - b / 3f + 2f / b;
    }
}
