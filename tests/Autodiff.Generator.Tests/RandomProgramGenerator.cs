using System.Globalization;
using System.Text;

namespace Autodiff.Generator.Tests;

/// <summary>
/// Writes random differentiable C# programs: nested expressions over Math functions, locals reassigned,
/// if/else, ternaries, for/while/do/foreach loops with fixed and data-dependent trip counts, break, continue,
/// early returns, array reads and calls to other generated functions. Values stay bounded (loops update
/// through contractions), so finite differences stay meaningful.
/// </summary>
public sealed partial class RandomProgramGenerator
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

    // A helper's body reads these scalars and calls H0..H{helpers-1}; no loop index is in scope.
    private void BeginHelper(int helpers, params string[] scalars)
    {
        _scalars.Clear();
        _scalars.AddRange(scalars);
        _helpers = helpers;
        _loopIndices.Clear();
    }

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
