using System.Globalization;
using System.Text;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Checks the derivatives of a method whose parameters have any of the shapes the generator takes (<c>double</c>,
/// <c>int</c>, <c>double[]</c>, <c>double[,]</c>, <c>double[][]</c>, <c>double[][,]</c>): its Gradient against central differences in every element of every
/// differentiable parameter, its VJP against the seed times the gradient, and its JVP against the gradient dotted with a
/// tangent. The method is called through wrappers (<see cref="Wrappers"/>) compiled beside it, which take and return
/// <c>object[]</c>: reflection cannot pass the spans the 1-D adjoints are.
/// </summary>
public static class ShapeChecker
{
    /// <summary>A parameter: its C# type (<c>double</c>, <c>int</c>, <c>double[]</c>, <c>double[,]</c>), and whether it has a derivative.</summary>
    public sealed record Parameter(string Type, bool Differentiable = true);

    /// <summary>Test members for <paramref name="name"/>: <c>{name}__Value</c>, <c>__Grad</c>, <c>__Vjp</c>, <c>__Jvp</c>.</summary>
    public static string Wrappers(string name, IReadOnlyList<Parameter> parameters)
    {
        string Cast(int i) => $"(({parameters[i].Type})a[{i}])";
        string args = string.Join(", ", parameters.Select((_, i) => Cast(i)));
        var differentiable = parameters.Select((p, i) => (p, i)).Where(x => x.p.Differentiable).ToList();
        string Allocate(Parameter p, int i) => p.Type switch
        {
            "double" => $"double d{i} = 0;",
            "double[]" => $"var d{i} = new double[{Cast(i)}.Length];",
            "double[][]" => $"var d{i} = Array.ConvertAll({Cast(i)}, r => new double[r.Length]);",
            "double[][,]" => $"var d{i} = Array.ConvertAll({Cast(i)}, m => new double[m.GetLength(0), m.GetLength(1)]);",
            _ => $"var d{i} = new double[{Cast(i)}.GetLength(0), {Cast(i)}.GetLength(1)];",
        };
        string Pass(Parameter p, int i) => p.Type == "double" ? $"out d{i}" : $"d{i}";
        string allocations = string.Join(" ", differentiable.Select(x => Allocate(x.p, x.i)));
        string adjoints = string.Join(", ", differentiable.Select(x => Pass(x.p, x.i)));
        string results = string.Join(", ", differentiable.Select(x => $"(object)d{x.i}"));
        string tangents = string.Join(", ", differentiable.Select(x => $"(({x.p.Type})t[{x.i}])"));
        string Join(params string[] parts) => string.Join(", ", parts.Where(p => p.Length > 0));
        return $$"""
            public static double {{name}}__Value(object[] a) => {{name}}({{args}});
            public static object[] {{name}}__Grad(object[] a) { {{allocations}} double v = {{name}}Gradient({{Join(args, adjoints)}}); return new object[] { {{Join("v", results)}} }; }
            public static object[] {{name}}__Vjp(object[] a, double seed) { {{allocations}} double v = {{name}}Vjp({{Join(args, "seed", adjoints)}}); return new object[] { {{Join("v", results)}} }; }
            public static double[] {{name}}__Jvp(object[] a, object[] t) { var r = {{name}}Jvp({{Join(args, tangents)}}); return new[] { r.Value, r.Tangent }; }

            """;
    }

    /// <summary>Runs every check at <paramref name="arguments"/>; returns the failures, or null when all pass.</summary>
    public static string? Check(Type type, string name, IReadOnlyList<Parameter> parameters, object[] arguments, double tolerance = 1e-6, double h = 1e-5)
    {
        var failures = new StringBuilder();
        double primal = Value(type, name, arguments);
        object[] gradient = (object[])GradientChecker.Invoke(type, name + "__Grad", new object[] { arguments });
        GradientChecker.Compare(failures, "value from Gradient", (double)gradient[0], primal, 1e-12);
        int[] differentiable = parameters.Select((p, i) => p.Differentiable ? i : -1).Where(i => i >= 0).ToArray();

        // Central differences, element by element.
        for (int k = 0; k < differentiable.Length; k++)
        {
            int i = differentiable[k];
            double[] adjoint = Elements(gradient[k + 1]);
            for (int e = 0; e < adjoint.Length; e++)
            {
                double x = Elements(arguments[i])[e];
                double step = h * Math.Max(1, Math.Abs(x));
                double plus = Value(type, name, With(arguments, i, e, x + step));
                double minus = Value(type, name, With(arguments, i, e, x - step));
                GradientChecker.Compare(failures, $"d/d{Describe(arguments[i], i, e)}", adjoint[e], (plus - minus) / (2 * step), tolerance);
            }
        }

        // VJP with seed 2.5 = 2.5 times the gradient.
        object[] vjp = (object[])GradientChecker.Invoke(type, name + "__Vjp", arguments, 2.5);
        GradientChecker.Compare(failures, "value from Vjp", (double)vjp[0], primal, 1e-12);
        double dot = 0;
        var random = new Random(42);
        var tangents = new object[parameters.Count];
        for (int k = 0; k < differentiable.Length; k++)
        {
            int i = differentiable[k];
            double[] g = Elements(gradient[k + 1]), v = Elements(vjp[k + 1]);
            for (int e = 0; e < g.Length; e++)
            {
                GradientChecker.Compare(failures, $"VJP {Describe(arguments[i], i, e)}", v[e], 2.5 * g[e], 1e-9);
            }

            tangents[i] = arguments[i] switch
            {
                double => random.NextDouble() * 2 - 1,
                double[] array => array.Select(_ => random.NextDouble() * 2 - 1).ToArray(),
                double[,] matrix => Fill(new double[matrix.GetLength(0), matrix.GetLength(1)], random),
                double[][] rows => rows.Select(r => r.Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray(),
                double[][,] matrices => matrices.Select(m => Fill(new double[m.GetLength(0), m.GetLength(1)], random)).ToArray(),
                _ => throw new ArgumentException("no tangent for " + arguments[i].GetType()),
            };
            dot += g.Zip(Elements(tangents[i]), (a, b) => a * b).Sum();
        }

        double[] jvp = (double[])GradientChecker.Invoke(type, name + "__Jvp", arguments, tangents);
        GradientChecker.Compare(failures, "value from Jvp", jvp[0], primal, 1e-12);
        GradientChecker.Compare(failures, "JVP vs gradient·tangent", jvp[1], dot, 1e-9);
        return failures.Length == 0 ? null : $"{name}:\n{failures}";
    }

    public static void AssertCorrect(Type type, string name, IReadOnlyList<Parameter> parameters, object[] arguments, double tolerance = 1e-6)
    {
        string? failure = Check(type, name, parameters, arguments, tolerance);
        Assert.True(failure is null, failure);
    }

    /// <summary>A matrix of the given shape with entries in [-1, 1).</summary>
    public static double[,] Matrix(Random random, int rows, int columns) => Fill(new double[rows, columns], random);

    private static double[,] Fill(double[,] matrix, Random random)
    {
        for (int r = 0; r < matrix.GetLength(0); r++)
        {
            for (int c = 0; c < matrix.GetLength(1); c++)
            {
                matrix[r, c] = random.NextDouble() * 2 - 1;
            }
        }

        return matrix;
    }

    private static double Value(Type type, string name, object[] arguments) => (double)GradientChecker.Invoke(type, name + "__Value", new object[] { arguments });

    // The elements of a scalar, array or matrix argument, row by row.
    private static double[] Elements(object value) => value switch
    {
        double d => new[] { d },
        double[] array => array,
        double[,] matrix => matrix.Cast<double>().ToArray(),
        double[][] rows => rows.SelectMany(r => r).ToArray(),
        double[][,] matrices => matrices.SelectMany(m => m.Cast<double>()).ToArray(),
        _ => throw new ArgumentException("not a floating argument: " + value.GetType()),
    };

    // A copy of the arguments with element e of argument i set to x (arrays copied, never written in place).
    private static object[] With(object[] arguments, int i, int e, double x)
    {
        var copy = (object[])arguments.Clone();
        switch (arguments[i])
        {
            case double:
                copy[i] = x;
                break;
            case double[] array:
                var changed = (double[])array.Clone();
                changed[e] = x;
                copy[i] = changed;
                break;
            case double[,] matrix:
                var changedMatrix = (double[,])matrix.Clone();
                changedMatrix[e / matrix.GetLength(1), e % matrix.GetLength(1)] = x;
                copy[i] = changedMatrix;
                break;
            case double[][] rows:
                var changedRows = rows.Select(r => (double[])r.Clone()).ToArray();
                int row = 0;
                while (e >= changedRows[row].Length)
                {
                    e -= changedRows[row++].Length;
                }

                changedRows[row][e] = x;
                copy[i] = changedRows;
                break;
            case double[][,] matrices:
                var changedMatrices = matrices.Select(m => (double[,])m.Clone()).ToArray();
                int which = 0;
                while (e >= changedMatrices[which].Length)
                {
                    e -= changedMatrices[which++].Length;
                }

                changedMatrices[which][e / changedMatrices[which].GetLength(1), e % changedMatrices[which].GetLength(1)] = x;
                copy[i] = changedMatrices;
                break;
        }

        return copy;
    }

    private static string Describe(object argument, int i, int e) => argument switch
    {
        double[][] or double[][,] => string.Create(CultureInfo.InvariantCulture, $"p{i} element {e}"),
        double[,] matrix => string.Create(CultureInfo.InvariantCulture, $"p{i}[{e / matrix.GetLength(1)}, {e % matrix.GetLength(1)}]"),
        double[] => string.Create(CultureInfo.InvariantCulture, $"p{i}[{e}]"),
        _ => string.Create(CultureInfo.InvariantCulture, $"p{i}"),
    };
}
