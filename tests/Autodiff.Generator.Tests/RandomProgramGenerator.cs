using System.Globalization;
using System.Text;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Writes random differentiable C# programs: nested expressions over Math functions, locals reassigned,
/// if/else, ternaries, for/while/do/foreach loops with fixed and data-dependent trip counts, break, continue,
/// early returns, array reads and calls to other generated functions. Values stay bounded (loops update
/// through contractions), so finite differences stay meaningful.
/// </summary>
public sealed class RandomProgramGenerator
{
    private readonly Random _random;
    private readonly List<string> _scalars = new();
    private readonly List<string> _loopIndices = new();
    private readonly StringBuilder _body = new();
    private int _indent;
    private int _names;
    private int _loopDepth;
    private int _helpers;
    private bool _noArrayReads;

    // Checkpointed states declared at the top of the method: the result reads them, so their loops are active.
    private readonly List<string> _results = new();

    public RandomProgramGenerator(int seed) => _random = new Random(seed);

    /// <summary>Helper functions <c>H0..H{n-1}</c> that programs may call (they call each other downwards).</summary>
    public string Helpers(string prefix, int count)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            _scalars.Clear();
            _scalars.AddRange(new[] { "a", "b" });
            _helpers = i; // H{i} may call H0..H{i-1}
            text.AppendLine(CultureInfo.InvariantCulture, $"[Differentiable] public static double {prefix}H{i}(double a, double b) => {Expr(3, prefix)};");
        }

        return text.ToString();
    }

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
            _scalars.Clear();
            _scalars.AddRange(new[] { "a", "b", "c" });
            _helpers = helpers;
            _loopIndices.Clear();
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
    /// Helpers <c>M0..M{n-1}</c> that return a new array, element k a random expression of <c>a</c> and the argument's
    /// element k (calls of the scalar helpers H0..H{helpers-1} among them). Only the array-helper test calls this.
    /// </summary>
    public string ArrayHelpers(string prefix, int count, int helpers)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            _scalars.Clear();
            _scalars.AddRange(new[] { "a", "b" });
            _helpers = helpers;
            _loopIndices.Clear();
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
            _scalars.Clear();
            _scalars.AddRange(new[] { "a", "b", "e" });
            _helpers = helpers;
            _loopIndices.Clear();
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
            _scalars.Clear();
            _scalars.AddRange(new[] { "a", "b", "c" });
            _helpers = helpers;
            _loopIndices.Clear();
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
            _scalars.Clear();
            _scalars.AddRange(new[] { "a", "b", "c" });
            _helpers = helpers;
            _loopIndices.Clear();
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

    /// <summary>A method <c>double Name(double x0, double x1, double x2, double[] w)</c>.</summary>
    public string Program(string name, string prefix, int helpers)
    {
        _body.Clear();
        _scalars.Clear();
        _scalars.AddRange(new[] { "x0", "x1", "x2" });
        _loopIndices.Clear();
        _indent = 1;
        _names = 0;
        _loopDepth = 0;
        _results.Clear();
        _helpers = helpers;
        // One program in six reads w only as w[i] in a final loop over it: the adjoint is then written once per element.
        bool accumulate = _random.Next(3) == 0;
        bool writeOnce = accumulate && _random.Next(2) == 0;
        _noArrayReads = writeOnce;
        // A length declared once at the top: loops may run to it (an invariant bound, so their trip count is not recorded).
        Line("int n = w.Length;");
        Statements(_random.Next(2, 6), prefix, allowLoops: true);
        if (accumulate)
        {
            // A final accumulation loop returned as is: the shape that the generator fuses with its reverse.
            AccumulationLoop(prefix, writeOnce);
        }
        else
        {
            Line($"return {Expr(2, prefix)}{Results()};");
        }
        return $"[Differentiable] public static double {name}(double x0, double x1, double x2, double[] w)\n{{\n{_body}}}\n";
    }

    private void Statements(int count, string prefix, bool allowLoops)
    {
        int scopeStart = _scalars.Count;
        for (int i = 0; i < count; i++)
        {
            int choice = _random.Next(allowLoops ? 11 : 6);
            switch (choice)
            {
                case 0 or 1 or 2:
                    // Guards in some (chosen by the name counter, so the random draws stay those of the seed): a throw
                    // expression in the value, or a throw statement after it.
                    int number = _names;
                    string local = "v" + _names++;
                    string value = Expr(3, prefix);
                    Line(number % 5 == 2 ? $"double {local} = x1 < 1e9 ? {value} : throw new ArgumentOutOfRangeException(nameof(x1), \"too large\");" : $"double {local} = {value};");
                    if (number % 7 == 3)
                    {
                        Line($"if (double.IsNaN({local})) throw new InvalidOperationException(\"{local} is NaN\");");
                    }

                    _scalars.Add(local);
                    break;
                case 3 or 4:
                    Assign(prefix);
                    break;
                case 5:
                    If(prefix, allowLoops);
                    break;
                case 6 or 7:
                    Loop(prefix);
                    break;
                case 8:
                    if (_loopDepth > 0)
                    {
                        Line(_random.Next(2) == 0 ? $"if ({Expr(1, prefix)} > 0.4) break;" : $"if ({Expr(1, prefix)} < -0.4) continue;");
                    }
                    else
                    {
                        Line($"if ({Expr(2, prefix)} > 0.9) return {Expr(2, prefix)};");
                    }

                    break;
                case 10:
                    RunningReduction(prefix);
                    break;
                case 9 when _random.Next(2) == 0:
                    RerunnableLoop();
                    break;
                case 9 when allowLoops:
                    CheckpointLoop();
                    break;
                default:
                    Line($"if ({Expr(1, prefix)} > 1.1) return {Expr(2, prefix)};");
                    break;
            }
        }

        _scalars.RemoveRange(scopeStart, _scalars.Count - scopeStart);
    }

    // A loop of cheap arithmetic whose iterations' adjoints commute (an iteration local, a sum read nowhere else in the
    // loop, a passive running power, maybe a branch or a break): the reverse sweep runs it again instead of taping it.
    private void RerunnableLoop()
    {
        if (_loopDepth >= 2)
        {
            return;
        }

        string sum = "s" + _names++, power = "m" + _names++, index = "k" + _names++, local = "q" + _names++;
        Line($"double {sum} = {Cheap(2)};");
        Line($"double {power} = {(_random.Next(2) == 0 ? "1" : "0.75")};");
        Line($"for (int {index} = 0; {index} < {_random.Next(3) switch { 0 => "w.Length", 1 => "n", _ => "4" }}; {index}++)");
        _loopDepth++;
        _loopIndices.Add(index);
        Block(() =>
        {
            Line($"double {local} = {Cheap(2)};");
            _scalars.Add(local);
            switch (_random.Next(3))
            {
                case 0:
                    Line($"{sum} += {local} * {power};");
                    break;
                case 1:
                    Line($"if ({local} > 0.1) {sum} += {local} * {local} * {power}; else {sum} -= 0.5 * {local};");
                    break;
                default:
                    Line($"{sum} -= {Cheap(1)} * {power};");
                    Line($"if ({power} < 0.2) break;");
                    break;
            }

            _scalars.Remove(local);
            Line(_random.Next(2) == 0 ? $"{power} *= 0.5 + 0.1 * {index};" : $"{power} = {power} * 0.8 - 0.01;");
        });
        _loopIndices.Remove(index);
        _loopDepth--;
        string after = "v" + _names++;
        Line($"double {after} = Math.Tanh({sum}) + 0.5 * {power};");
        _scalars.Add(after);
    }

    // An ODE-like step: stages of cheap arithmetic from one carried state, then the state updated (several values per
    // iteration the backward replay would save; one it carries): checkpointed, each iteration run again in reverse.
    private void CheckpointLoop()
    {
        if (_loopDepth >= 2)
        {
            return;
        }

        string state = "y" + _names++, index = "k" + _names++, a = "a" + _names++, b = "b" + _names++, c = "c" + _names++;
        Line($"double {state} = 0.5 * ({Cheap(1)});");
        Line($"for (int {index} = 0; {index} < {_random.Next(3) switch { 0 => "w.Length", 1 => "n", _ => "3" }}; {index}++)");
        _loopDepth++;
        _loopIndices.Add(index);
        Block(() =>
        {
            Line($"double {a} = {state} * (0.5 - 0.25 * {state}) + 0.1 * ({Cheap(1)});");
            Line($"double {b} = {state} + 0.3 * {a} * {Leaf()};");
            Line(_random.Next(2) == 0 ? $"double {c} = {b} * {b} * 0.1 - {state} * 0.2;" : $"double {c} = {b} > {a} ? {b} * 0.3 : {a} * {state} * 0.2;");
            Line($"{state} = 0.5 * {state} + 0.1 * ({a} - {c}) + 0.05 * {b};");
        });
        _loopIndices.Remove(index);
        _loopDepth--;
        _scalars.Add(state);
        if (_indent == 1)
        {
            _results.Add(state);
        }
    }

    private string Results() => string.Concat(_results.Select(r => $" + 0.25 * {r}"));

    // Sums and products of variables, array elements and constants: nothing a loop run again would pay much for.
    private string Cheap(int depth)
    {
        if (depth <= 0 || _random.Next(4) == 0)
        {
            return Leaf();
        }

        return _random.Next(3) switch
        {
            0 => $"{Cheap(depth - 1)} + {Cheap(depth - 1)}",
            1 => $"{Cheap(depth - 1)} - 0.5 * {Cheap(depth - 1)}",
            _ => $"({Cheap(depth - 1)}) * ({Cheap(depth - 1)})",
        };
    }

    // Inside loops, updates contract (tanh, or a small step) so values stay bounded whatever the trip count.
    private void Assign(string prefix)
    {
        List<string> targets = _scalars.Where(s => s.StartsWith('v')).ToList();
        if (targets.Count == 0)
        {
            return;
        }

        string target = targets[_random.Next(targets.Count)];
        string value = Expr(3, prefix);
        Line(_random.Next(4) switch
        {
            0 => $"{target} = Math.Tanh({value});",
            1 => $"{target} += 0.25 * Math.Sin({value});",
            2 => $"{target} *= 0.5 + 0.25 * Math.Cos({value});",
            _ => _loopDepth > 0 ? $"{target} = 0.5 * {target} + 0.3 * Math.Tanh({value});" : $"{target} = {value};",
        });
    }

    // A reduction in the middle of the method with a running product (a polynomial's Horner-free form): the sum is read
    // after its loop, possibly inside an enclosing loop, so only the write that starts it again may save it.
    private void RunningReduction(string prefix)
    {
        if (_loopDepth >= 2)
        {
            Assign(prefix);
            return;
        }

        string sum = "s" + _names++, product = "m" + _names++, index = "k" + _names++;
        Line($"double {sum} = {Expr(1, prefix)};");
        Line($"double {product} = 1;");
        Line($"for (int {index} = 0; {index} < {_random.Next(3) switch { 0 => "w.Length", 1 => "n", _ => "3" }}; {index}++)");
        _loopDepth++;
        _loopIndices.Add(index);
        Block(() =>
        {
            Line($"{sum} += {(_noArrayReads ? Expr(1, prefix) : $"w[{index} % w.Length]")} * {product};");
            Line($"{product} *= 0.5 + 0.25 * Math.Tanh({Expr(1, prefix)});");
        });
        _loopIndices.Remove(index);
        _loopDepth--;
        string local = "v" + _names++;
        Line($"double {local} = {sum} * {Expr(1, prefix)} + Math.Sin({sum}) - {product};");
        _scalars.Add(local);
        _scalars.Add(sum);

        // Then a running minimum or maximum over candidates that iteration locals compute (a selection loop).
        {
            string best = "b" + _names++, candidate = "c" + _names++, counter = "k" + _names++;
            string function = _random.Next(2) == 0 ? "Min" : "Max";
            Line($"double {best} = {(_random.Next(2) == 0 ? Expr(1, prefix) : function == "Min" ? "double.PositiveInfinity" : "double.NegativeInfinity")};");
            Line($"for (int {counter} = 0; {counter} < {_random.Next(3) switch { 0 => "w.Length", 1 => "n", _ => "3" }}; {counter}++)");
            _loopDepth++;
            _loopIndices.Add(counter);
            Block(() =>
            {
                Line($"double {candidate} = {Expr(2, prefix)};");
                _scalars.Add(candidate);
                Line($"{best} = Math.{function}({best}, {candidate} * {Expr(1, prefix)});");
                _scalars.Remove(candidate);
            });
            _loopIndices.Remove(counter);
            _loopDepth--;
            string bounded = "v" + _names++;
            Line($"double {bounded} = Math.Tanh({best});");
            _scalars.Add(bounded);
        }
    }

    private void AccumulationLoop(string prefix, bool writeOnce)
    {
        string accumulator = "acc" + _names++;
        string index = "i" + _names++;
        Line($"double {accumulator} = {Expr(1, prefix)}{Results()};");
        Line(writeOnce || _random.Next(2) == 0 ? $"for (int {index} = 0; {index} < w.Length; {index}++)" : $"for (int {index} = 0; {index} < 5; {index}++)");
        _loopIndices.Add(index);
        Block(() =>
        {
            int scope = _scalars.Count;
            if (!writeOnce)
            {
                // Loops inside the final loop: its iterations are still fused, each inner loop's forward and reverse
                // both inside an iteration (run again, replayed backwards, or a selection loop).
                _loopDepth++;
                switch (_random.Next(4))
                {
                    case 0:
                        RerunnableLoop();
                        break;
                    case 1:
                        RunningReduction(prefix);
                        break;
                }

                _loopDepth--;
            }

            string local = "t" + _names++;
            if (writeOnce)
            {
                Line($"double {local} = w[{index}] * ({Expr(2, prefix)});");
            }
            else
            {
                Line($"double {local} = {Expr(2, prefix)};");
            }

            _scalars.Add(local);
            if (_random.Next(2) == 0)
            {
                Line($"if ({Condition(prefix)}) {accumulator} += {Expr(2, prefix)}; else {accumulator} -= {Expr(2, prefix)};");
            }
            else
            {
                Line($"{accumulator} += {Expr(3, prefix)};");
            }

            if (!writeOnce && _random.Next(3) == 0)
            {
                // A final inner loop that accumulates too: each of its iterations is followed by its reverse.
                string inner = "k" + _names++, value = "u" + _names++;
                Line($"for (int {inner} = 0; {inner} < {_random.Next(1, 4)}; {inner}++)");
                _loopIndices.Add(inner);
                Block(() =>
                {
                    Line($"double {value} = {Expr(2, prefix)};");
                    _scalars.Add(value);
                    Line(_random.Next(2) == 0
                        ? $"{accumulator} += {value} * ({Expr(1, prefix)});"
                        : $"if ({Condition(prefix)}) {accumulator} += {value} * {value}; else {accumulator} -= {Expr(1, prefix)};");
                    _scalars.Remove(value);
                });
                _loopIndices.Remove(inner);
            }

            _scalars.Remove(local);
            _scalars.RemoveRange(scope, _scalars.Count - scope);
        });
        _noArrayReads = false;
        _loopIndices.Remove(index);
        Line($"return {accumulator};");
    }

    private void If(string prefix, bool allowLoops)
    {
        Line($"if ({Condition(prefix)})");
        Block(() => Statements(_random.Next(1, 3), prefix, allowLoops));
        if (_random.Next(2) == 0)
        {
            Line("else");
            Block(() => Statements(_random.Next(1, 3), prefix, allowLoops));
        }
    }

    private void Loop(string prefix)
    {
        if (_loopDepth >= 2)
        {
            Assign(prefix);
            return;
        }

        string index = "i" + _names++;
        string bound = _random.Next(4) switch
        {
            0 => "w.Length",
            3 => "n",
            1 => _random.Next(1, 5).ToString(CultureInfo.InvariantCulture),
            _ => _loopIndices.Count > 0 ? _loopIndices[^1] + " + 1" : "3",
        };
        _loopDepth++;
        switch (_random.Next(4))
        {
            case 0:
                Line($"for (int {index} = 0; {index} < {bound}; {index}++)");
                Block(() => WithIndex(index, prefix));
                break;
            case 1:
                // A data-dependent trip count: stops early when a value crosses a threshold.
                string guard = _scalars[_random.Next(_scalars.Count)];
                Line($"int {index} = 0;");
                Line($"while ({index} < {bound} && {guard} < 5.0)");
                Block(() =>
                {
                    // Increment first: a continue below must not skip it.
                    Line($"{index}++;");
                    WithIndex(index, prefix);
                });
                break;
            case 2:
                Line($"int {index} = 0;");
                Line("do");
                Block(() =>
                {
                    Line($"{index}++;");
                    WithIndex(index, prefix);
                });
                Line($"while ({index} < {bound});");
                break;
            default:
                string element = "e" + _names++;
                Line($"foreach (double {element} in w)");
                _scalars.Add(element);
                Block(() => Statements(_random.Next(1, 4), prefix, allowLoops: true));
                _scalars.Remove(element);
                break;
        }

        _loopDepth--;
    }

    private void WithIndex(string index, string prefix)
    {
        _loopIndices.Add(index);
        Statements(_random.Next(1, 4), prefix, allowLoops: true);
        _loopIndices.Remove(index);
    }

    private string Condition(string prefix) => _random.Next(4) switch
    {
        0 => $"{Expr(2, prefix)} > {Expr(1, prefix)}",
        1 => $"{Expr(1, prefix)} < 0.3 && {Expr(1, prefix)} > -0.8",
        2 => $"{_scalars[_random.Next(_scalars.Count)]} is > -0.5 and < 0.4 or > 1.5",
        _ => $"{Expr(1, prefix)} > 0.5 || {Expr(1, prefix)} < -0.2",
    };

    private string Expr(int depth, string prefix)
    {
        if (depth <= 0 || _random.Next(5) == 0)
        {
            return Leaf();
        }

        string a = Expr(depth - 1, prefix);
        return _random.Next(17) switch
        {
            0 => $"{a} + {Expr(depth - 1, prefix)}",
            1 => $"{a} - {Expr(depth - 1, prefix)}",
            2 or 3 => $"({a}) * ({Expr(depth - 1, prefix)})",
            4 => $"({a}) / (1.5 + Math.Sin({Expr(depth - 1, prefix)}))",
            5 => $"Math.Sin({a})",
            6 => $"Math.Cos({a})",
            7 => $"Math.Tanh({a})",
            8 => $"Math.Exp(Math.Tanh({a}))",
            9 => $"Math.Log(1.0 + ({a}) * ({a}))",
            10 => $"Math.Sqrt(1.0 + ({a}) * ({a}))",
            11 => $"Math.Atan({a})",
            12 => $"Math.Pow(1.2 + Math.Cos({a}), Math.Tanh({Expr(depth - 1, prefix)}))",
            13 => $"-({a})",
            14 when _random.Next(2) == 0 => $"({Expr(depth - 1, prefix)} > {a} ? {Expr(depth - 1, prefix)} : {a})",
            14 => $"({_scalars[_random.Next(_scalars.Count)]} switch {{ < -0.3 => {a}, > 0.6 and < 2.0 or > 3.0 => {Expr(depth - 1, prefix)}, _ => ({a}) * 0.5 }})",
            15 when _helpers > 0 => $"{prefix}H{_random.Next(_helpers)}({a}, {Expr(depth - 1, prefix)})",
            _ => $"Math.Atan2({a}, 1.5 + Math.Cos({Expr(depth - 1, prefix)}))",
        };
    }

    private string Leaf()
    {
        int choice = _random.Next(10);
        if (choice < 5)
        {
            return _scalars[_random.Next(_scalars.Count)];
        }

        if (choice < 8 && _scalars.Contains("x0") && !_noArrayReads)
        {
            string index = _loopIndices.Count > 0 && _random.Next(2) == 0 ? _loopIndices[_random.Next(_loopIndices.Count)] : _random.Next(7).ToString(CultureInfo.InvariantCulture);
            return $"w[({index}) % w.Length]";
        }

        return (0.25 + _random.NextDouble() * 1.5).ToString("0.###", CultureInfo.InvariantCulture);
    }

    private void Line(string text) => _body.Append(' ', 4 * _indent).Append(text).Append('\n');

    private void Block(Action content)
    {
        Line("{");
        _indent++;
        content();
        _indent--;
        Line("}");
    }
}
