using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Generated documentation comments are checked as a project with GenerateDocumentationFile checks them: every
/// <c>paramref</c> names a parameter, every <c>cref</c> binds (CS1572, CS1573, CS1574, CS1734 would fail a build with
/// warnings as errors). Over the shapes whose public derivatives are written as wrappers.
/// </summary>
public class DocumentationTests
{
    [Fact]
    public void GeneratedDocumentationNamesRealParameters()
    {
        const string source = """
            using System;
            using System.Numerics;
            using Autodiff;
            public struct V2 { public double X, Y; }
            public record struct Polar(double Radius, double Angle);
            /// <summary>Methods of every wrapped shape.</summary>
            public static partial class D
            {
                /// <summary>A struct parameter.</summary>
                [Differentiable] public static double S(V2 p, double k) => k * p.X * p.Y;
                /// <summary>A matrix and a jagged array.</summary>
                [Differentiable] public static double M(double[,] a, double[][] rows) => a[0, 0] * rows[0][0];
                /// <summary>An array of structs.</summary>
                [Differentiable] public static double A(V2[] ps) => ps[0].X * ps[0].Y;
                /// <summary>An array result.</summary>
                [Differentiable] public static double[] R(double[] v) { var r = new double[v.Length]; for (int i = 0; i < v.Length; i++) r[i] = v[i] * v[i]; return r; }
                /// <summary>A matrix result.</summary>
                [Differentiable] public static double[,] Q(double t) => new double[,] { { Math.Cos(t), -Math.Sin(t) }, { Math.Sin(t), Math.Cos(t) } };
                /// <summary>A struct result.</summary>
                [Differentiable] public static Polar P(double x, double y) => new Polar(Math.Sqrt(x * x + y * y), Math.Atan2(y, x));
                /// <summary>A library struct.</summary>
                [Differentiable] public static double C(Complex z) => z.Magnitude;
            }
            """;
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(source);
        var parse = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        compilation = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(), CSharpSyntaxTree.ParseText(source, parse, path: "Source0.cs"));
        var driver = CSharpGeneratorDriver.Create(GeneratorHarness.Generators, parseOptions: parse);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        var warnings = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && tree.FilePath.Contains("Derivatives", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
    }
}
