using Xunit;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

public class SmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void Rosenbrock_PrintsGeneratedCode()
    {
        const string source = """
            using System;
            using Autodiff;
            namespace Demo;
            public static partial class F
            {
                [Differentiable]
                public static double Rosen(double[] x)
                {
                    double s = 0;
                    for (int i = 0; i < x.Length - 1; i++)
                    {
                        double a = 1 - x[i];
                        double b = x[i + 1] - x[i] * x[i];
                        s += a * a + 100 * b * b;
                    }
                    return s;
                }

                [Differentiable]
                public static double G(double x, double y, int n)
                {
                    double z = Math.Exp(x * y) + Math.Sin(x) / y;
                    if (z > 1) return z * n;
                    for (int k = 0; k < n; k++) { z = z * x; if (z > 100) break; }
                    return Math.Tanh(z);
                }
            }
            """;
        var result = GeneratorHarness.Run(source);
        foreach (var s in result.Sources) output.WriteLine(s.SourceText.ToString());
        foreach (var d in result.AutodiffDiagnostics()) output.WriteLine(d.ToString());
        var assembly = GeneratorHarness.Load(result);
        Assert.NotNull(assembly);
    }
}
