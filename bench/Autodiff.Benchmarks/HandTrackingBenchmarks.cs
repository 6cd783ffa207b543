using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks;

/// <summary>
/// The Jacobian of a hand-tracking-like residual function written with matrix helpers (<see cref="HandTracking.Pose"/>:
/// 5 bones, 15 angles, 200 vertices, 600 residuals): the generated <c>PoseJacobian</c> (one JVP per angle, n = 15 &lt;
/// m = 600) against the analytic Jacobian by hand and against the residuals alone. The constructor checks that the two
/// Jacobians agree.
/// </summary>
[MemoryDiagnoser]
public class HandTrackingBenchmarks
{
    private const int Bones = 5;
    private const int Vertices = 200;
    private readonly double[] _theta = new double[3 * Bones];
    private readonly double[] _offsets = new double[Bones];
    private readonly double[] _vertices = new double[4 * Vertices];
    private readonly double[] _targets = new double[3 * Vertices];
    private readonly double[,] _jacobian = new double[3 * Vertices, 3 * Bones];

    public HandTrackingBenchmarks()
    {
        var random = new Random(5);
        for (int i = 0; i < _theta.Length; i++) _theta[i] = random.NextDouble() - 0.5;
        for (int b = 0; b < Bones; b++) _offsets[b] = 0.5 + random.NextDouble();
        for (int v = 0; v < Vertices; v++)
        {
            _vertices[4 * v] = random.Next(Bones);
            for (int k = 1; k < 4; k++) _vertices[4 * v + k] = random.NextDouble() - 0.5;
        }

        for (int i = 0; i < _targets.Length; i++) _targets[i] = random.NextDouble() * 2;
        var hand = new double[3 * Vertices, 3 * Bones];
        double[] handResiduals = HandTracking.HandJacobian(_theta, _offsets, _vertices, _targets, hand);
        double[] residuals = HandTracking.PoseJacobian(_theta, _offsets, _vertices, _targets, _jacobian);
        for (int i = 0; i < residuals.Length; i++)
        {
            if (Math.Abs(residuals[i] - handResiduals[i]) > 1e-12)
            {
                throw new InvalidOperationException($"residual {i}: {residuals[i]} by the generator, {handResiduals[i]} by hand");
            }

            for (int j = 0; j < 3 * Bones; j++)
            {
                if (Math.Abs(_jacobian[i, j] - hand[i, j]) > 1e-10)
                {
                    throw new InvalidOperationException($"J[{i}, {j}]: {_jacobian[i, j]} by the generator, {hand[i, j]} by hand");
                }
            }
        }
    }

    [Benchmark(Baseline = true)] public double[] Residuals() => HandTracking.Pose(_theta, _offsets, _vertices, _targets);

    [Benchmark] public double[] GeneratedJacobian() => HandTracking.PoseJacobian(_theta, _offsets, _vertices, _targets, _jacobian);

    [Benchmark] public double[] HandWrittenJacobian() => HandTracking.HandJacobian(_theta, _offsets, _vertices, _targets, _jacobian);
}
