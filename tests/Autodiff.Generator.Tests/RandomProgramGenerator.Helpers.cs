using System.Globalization;
using System.Text;

namespace Autodiff.Generator.Tests;

// The helper generators beside the random programs: helpers that fill spans, return arrays, matrices, structs or
// complex numbers, each for the randomized test of its construct.
public sealed partial class RandomProgramGenerator
{
    /// <summary>
    /// Void helpers <c>F0..F{n-1}</c> that fill a span from two scalars and what it held (a loop that may return early,
    /// calls of the scalar helpers H0..H{helpers-1}). Only tests of inlining call this, so the other tests' programs
    /// stay what their seeds gave before.
    /// </summary>
    public string FillHelpers(string prefix, int count, int helpers)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            BeginHelper(helpers, "a", "b", "c");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] static void {prefix}F{i}(double a, double b, Span<double> z)");
            text.AppendLine("{");
            text.AppendLine("    for (int k = 0; k < z.Length; k++)");
            text.AppendLine("    {");
            text.AppendLine(CultureInfo.InvariantCulture, $"        double c = z[k] * 0.5 + k;");
            text.AppendLine(CultureInfo.InvariantCulture, $"        double v = {Expr(3, prefix)};");
            text.AppendLine(CultureInfo.InvariantCulture, $"        if (v > c + {(_random.NextDouble() - 0.5).ToString("0.##", CultureInfo.InvariantCulture)}) return;");
            text.AppendLine(CultureInfo.InvariantCulture, $"        z[k] = v * ({Expr(1, prefix)});");
            text.AppendLine("    }");
            text.AppendLine("}");
        }

        return text.ToString();
    }

    /// <summary>
    /// Helpers <c>A0..A{n-1}</c> that reduce an array to a scalar: Σₖ of a random expression of <c>a</c> and the
    /// argument's element k (calls of the scalar helpers among them). Called, not inlined: the array-call test's.
    /// </summary>
    public string ReductionHelpers(string prefix, int count, int helpers)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            BeginHelper(helpers, "a", "b");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] public static double {prefix}A{i}(double[] v, double a)");
            text.AppendLine("{");
            text.AppendLine("    double s = 0;");
            text.AppendLine("    for (int k = 0; k < v.Length; k++)");
            text.AppendLine("    {");
            text.AppendLine("        double b = v[k];");
            text.AppendLine(CultureInfo.InvariantCulture, $"        s += {Expr(3, prefix)};");
            text.AppendLine("    }");
            text.AppendLine();
            text.AppendLine("    return s;");
            text.AppendLine("}");
        }

        return text.ToString();
    }

    /// <summary>
    /// Helpers <c>M0..M{n-1}</c> that return a new array, element k a random expression of <c>a</c> and the argument's
    /// element k (calls of the scalar helpers H0..H{helpers-1} among them). Only the array-helper test calls this.
    /// </summary>
    public string ArrayHelpers(string prefix, int count, int helpers)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            BeginHelper(helpers, "a", "b");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] static double[] {prefix}M{i}(double[] v, double a)");
            text.AppendLine("{");
            text.AppendLine("    double[] r = new double[v.Length];");
            text.AppendLine("    for (int k = 0; k < v.Length; k++)");
            text.AppendLine("    {");
            text.AppendLine("        double b = v[k];");
            text.AppendLine(CultureInfo.InvariantCulture, $"        r[k] = {Expr(3, prefix)};");
            text.AppendLine("    }");
            text.AppendLine();
            text.AppendLine("    return r;");
            text.AppendLine("}");
        }

        return text.ToString();
    }

    /// <summary>
    /// Matrix helpers: <c>Q0..Q{n-1}</c> return a new <c>double[,]</c>, element [r, c] a random expression of <c>a</c>,
    /// the argument's [r, c] and a neighbour in its row, and every other one transposed (a new shape);
    /// <c>S0..S{n-1}</c> are public and reduce a matrix to a scalar in a double loop over <c>GetLength</c>, one row in
    /// two skipped by a <c>continue</c>; <c>J0..J{n-1}</c> are public and reduce a jagged array, each row through a new
    /// array made in the loop over the rows. Only the matrix test calls this.
    /// </summary>
    public string MatrixHelpers(string prefix, int count, int helpers)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            BeginHelper(helpers, "a", "b", "e");
            bool transpose = i % 2 == 1;
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] static double[,] {prefix}Q{i}(double[,] m, double a)");
            text.AppendLine("{");
            text.AppendLine("    int rows = m.GetLength(0), columns = m.GetLength(1);");
            text.AppendLine(transpose ? "    var q = new double[columns, rows];" : "    var q = new double[rows, columns];");
            text.AppendLine("    for (int r = 0; r < rows; r++)");
            text.AppendLine("        for (int c = 0; c < columns; c++)");
            text.AppendLine("        {");
            text.AppendLine("            double b = m[r, c], e = m[r, (c + 1) % columns];");
            text.AppendLine(CultureInfo.InvariantCulture, $"            q[{(transpose ? "c, r" : "r, c")}] = {Expr(3, prefix)};");
            text.AppendLine("        }");
            text.AppendLine("    return q;");
            text.AppendLine("}");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] public static double {prefix}S{i}(double[,] m, double a)");
            text.AppendLine("{");
            text.AppendLine("    double s = 0;");
            text.AppendLine("    for (int r = 0; r < m.GetLength(0); r++)");
            text.AppendLine("    {");
            text.AppendLine(CultureInfo.InvariantCulture, $"        if (r % 2 == {_random.Next(2)} && m[r, 0] > {(_random.NextDouble() - 0.5).ToString("0.##", CultureInfo.InvariantCulture)}) continue;");
            text.AppendLine("        for (int c = 0; c < m.GetLength(1); c++)");
            text.AppendLine("        {");
            text.AppendLine("            double b = m[r, c], e = m[m.GetLength(0) - 1 - r, c];");
            text.AppendLine(CultureInfo.InvariantCulture, $"            s += {Expr(3, prefix)};");
            text.AppendLine("        }");
            text.AppendLine("    }");
            text.AppendLine("    return s / m.Length;");
            text.AppendLine("}");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] public static double {prefix}J{i}(double[][] rows, double a)");
            text.AppendLine("{");
            text.AppendLine("    double s = 0;");
            text.AppendLine("    foreach (double[] row in rows)");
            text.AppendLine("    {");
            text.AppendLine("        double[] q = new double[row.Length];");
            text.AppendLine("        for (int c = 0; c < row.Length; c++)");
            text.AppendLine("        {");
            text.AppendLine("            double b = row[c], e = rows[0][c % rows[0].Length];");
            text.AppendLine(CultureInfo.InvariantCulture, $"            q[c] = {Expr(3, prefix)};");
            text.AppendLine("        }");
            text.AppendLine(CultureInfo.InvariantCulture, $"        if (q.Length > 1 && q[1] > {(_random.NextDouble() - 0.5).ToString("0.##", CultureInfo.InvariantCulture)}) continue;");
            text.AppendLine("        for (int c = 0; c < q.Length; c++) s += q[c] * row[c];");
            text.AppendLine("    }");
            text.AppendLine("    for (int k = 0; k < rows.Length; k++)");
            text.AppendLine("        foreach (double v in rows[rows.Length - 1 - k])");
            text.AppendLine("        {");
            text.AppendLine("            double b = v, e = rows[k][0];");
            text.AppendLine(CultureInfo.InvariantCulture, $"            s += 0.25 * ({Expr(2, prefix)});");
            text.AppendLine("        }");
            text.AppendLine("    return s / rows.Length;");
            text.AppendLine("}");
        }

        return text.ToString();
    }

    /// <summary>
    /// Struct helpers over <see cref="StructTypes"/>' <c>V2</c>: <c>T0..T{n-1}</c> return a new <c>V2</c> whose fields are
    /// random expressions of the argument's fields and a scalar, and <c>U0..U{n-1}</c> are public, reduce a <c>V2</c> and
    /// a scalar to a scalar, and may return early. Only the struct test calls this.
    /// </summary>
    public string StructHelpers(string prefix, int count, int helpers)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            BeginHelper(helpers, "a", "b", "c");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] static V2 {prefix}T{i}(V2 v, double c)");
            text.AppendLine("{");
            text.AppendLine("    double a = v.X, b = v.Y;");
            text.AppendLine(CultureInfo.InvariantCulture, $"    return new V2({Expr(3, prefix)}, {Expr(3, prefix)});");
            text.AppendLine("}");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] public static double {prefix}U{i}(V2 v, double c)");
            text.AppendLine("{");
            text.AppendLine("    double a = v.X, b = v.Y;");
            text.AppendLine(CultureInfo.InvariantCulture, $"    if (a > {(_random.NextDouble() - 0.5).ToString("0.##", CultureInfo.InvariantCulture)}) return v * v + {Expr(2, prefix)};");
            text.AppendLine(CultureInfo.InvariantCulture, $"    return v.Length * ({Expr(3, prefix)});");
            text.AppendLine("}");
        }

        return text.ToString();
    }

    /// <summary>
    /// Complex helpers over <c>System.Numerics.Complex</c>: <c>K0..K{n-1}</c> build a complex number from random
    /// expressions of the argument's parts and a scalar, then combine it with the argument by a random chain of the
    /// operators and functions that have rules (<c>* / + -</c>, <c>Exp</c>, <c>Sqrt</c>, <c>Log</c>, <c>Conjugate</c>,
    /// <c>Reciprocal</c>), and return it. Only the complex test calls this.
    /// </summary>
    public string ComplexHelpers(string prefix, int count, int helpers)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            BeginHelper(helpers, "a", "b", "c");
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] static System.Numerics.Complex {prefix}K{i}(System.Numerics.Complex z, double c)");
            text.AppendLine("{");
            text.AppendLine("    double a = z.Real, b = z.Imaginary;");
            text.AppendLine(CultureInfo.InvariantCulture, $"    var w = new System.Numerics.Complex(Math.Tanh({Expr(2, prefix)}), Math.Tanh({Expr(2, prefix)}));");
            string value = "w";
            for (int k = 0; k < 3; k++)
            {
                value = _random.Next(9) switch
                {
                    0 => $"({value}) * z",
                    1 => $"({value}) / (z + 2.5)",
                    2 => $"({value}) + System.Numerics.Complex.Exp(z * 0.5)",
                    3 => $"System.Numerics.Complex.Sqrt(({value}) * ({value}) + 3.0)",
                    4 => $"System.Numerics.Complex.Log(({value}) * System.Numerics.Complex.Conjugate({value}) + 1.0)",
                    5 => $"System.Numerics.Complex.Reciprocal(({value}) + new System.Numerics.Complex(2.0, 0.5))",
                    6 => $"({value}) - c * System.Numerics.Complex.ImaginaryOne",
                    7 => $"-({value}) * System.Numerics.Complex.FromPolarCoordinates(1.0, c)",
                    _ => $"({value}) * ({value}).Magnitude * 0.3",
                };
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"    return {value};");
            text.AppendLine("}");
        }

        return text.ToString();
    }

    /// <summary>The struct the struct helpers and programs use: fields, a constructor, operators, a property and a method that changes it.</summary>
    public const string StructTypes = """
        public struct V2
        {
            public double X, Y;
            public V2(double x, double y) { X = x; Y = y; }
            public static V2 operator +(V2 a, V2 b) => new V2(a.X + b.X, a.Y + b.Y);
            public static V2 operator *(double s, V2 a) => new V2(s * a.X, s * a.Y);
            public static double operator *(V2 a, V2 b) => a.X * b.X + a.Y * b.Y;
            public double Length => Math.Sqrt(1e-3 + X * X + Y * Y);
            public void Rotate(double t) { double c = Math.Cos(t), s = Math.Sin(t); double x = X; X = c * x - s * Y; Y = s * x + c * Y; }
        }

        """;
}
