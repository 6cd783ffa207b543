using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>The checker itself: a large third derivative is not reported as a wrong gradient, a wrong gradient still is.</summary>
public class FiniteDifferencesTests
{
    // loss = sin(16 x) at x = 0: the central difference at h = 0.01 is off by (16 h)² / 6 = 0.43% of the derivative 16,
    // past the 0.3% tolerance; the five-point stencil is off by (16 h)⁴ / 30 = 0.002%.
    private static void Check(float derivative)
    {
        var x = new Tensor(1);
        var gradient = new Tensor(1);
        gradient[0] = derivative;
        FiniteDifferences.Check(new[] { ("x", x, gradient) }, () => MathF.Sin(16 * x[0]), samples: null);
    }

    [Fact]
    public void TheTrueDerivative_PassesWhereTheCentralDifferenceAloneWouldNot() => Check(16f);

    [Theory]
    [InlineData(16.16f)] // 1% off
    [InlineData(15.84f)]
    [InlineData(-16f)]
    public void AWrongDerivative_Fails(float derivative)
        => Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Check(derivative));

    // A batch-averaged gradient: every entry near 1e-3. The loss is linear, so finite differences are exact but for rounding.
    private static void CheckSmall(float third)
    {
        float[] c = { 0.004f, 0.002f, 0.001f };
        var x = new Tensor(3);
        var gradient = Tensor.FromArray(new[] { c[0], c[1], third }, 3);
        FiniteDifferences.Check(new[] { ("x", x, gradient) }, () => c[0] * x[0] + c[1] * x[1] + c[2] * x[2], samples: null);
    }

    [Fact]
    public void ASmallGradient_Passes() => CheckSmall(0.001f);

    [Theory]
    [InlineData(-0.001f)] // the sign flipped: passed the old floor of 3e-3
    [InlineData(0f)]      // dropped
    public void ASmallEntryWithTheWrongSignOrMissing_Fails(float third)
        => Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => CheckSmall(third));
}
