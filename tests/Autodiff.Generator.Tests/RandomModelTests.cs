using System.Globalization;
using System.Reflection;
using System.Text;
using Xunit;
using Autodiff.Runtime.Tests;
using Xunit.Abstractions;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The randomized differential test for model code: random [Model] classes whose Loss method mixes tensor ops,
/// tensor locals reassigned over time, float arithmetic, if/else (on a bool parameter, a bool field and float
/// comparisons), loops over a list of layers, counted loops and while loops (with branches and loops inside, and inside
/// branches) and calls to random tensor functions, compiled with the generator; every parameter's and the input's
/// gradient is checked against central finite differences, the JVP against the gradient, and the Hessian-vector
/// product against finite differences of the gradient. AUTODIFF_RANDOM_SEED replays a run.
/// </summary>
public class RandomModelTests(ITestOutputHelper output)
{
    private const int ModelsPerBatch = 25;

    public static IEnumerable<object[]> Batches() => Enumerable.Range(0, 2).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(Batches))]
    public void RandomModelsHaveCorrectGradients(int batch)
    {
        int seed = RandomProgramTests.BaseSeed() + 100 + batch;
        var generator = new RandomModelGenerator(seed);
        string helpers = generator.Functions("RandomFunctions" + batch);
        var models = Enumerable.Range(0, ModelsPerBatch).Select(i => (Name: $"M{batch}_{i}", Source: generator.Model($"M{batch}_{i}", "RandomFunctions" + batch))).ToList();
        string source = "using System; using Autodiff;\nnamespace RandomModels;\n" + helpers + string.Join("\n", models.Select(m => m.Source));
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        if (Environment.GetEnvironmentVariable("AUTODIFF_DUMP") is { } dump)
        {
            File.WriteAllText(dump, source + string.Join("\n", result.Sources.Select(x => "//// " + x.HintName + "\n" + x.SourceText)));
        }

        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
        Assembly assembly = GeneratorHarness.Load(result);

        var random = new Random(seed);
        var failures = new List<string>();
        foreach ((string name, string model) in models)
        {
            Type type = assembly.GetType("RandomModels." + name)!;
            bool p = random.Next(2) == 0;
            Tensor x = Init.Uniform(1f, random, 3, 4);
            string? failure = Check(type, x, p);
            if (failure is not null)
            {
                // A finite difference that straddles a float comparison is not a bug: a real error fails at a nearby point too.
                Tensor nearby = Init.Uniform(1f, random, 3, 4);
                for (int i = 0; i < x.Length; i++)
                {
                    nearby[i] = x[i] + 0.05f * nearby[i];
                }

                if (Check(type, nearby, p) is { } second)
                {
                    failures.Add($"seed {seed}, p = {p}: {failure}; again at a nearby point: {second}\n{model}");
                }
            }
        }

        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {ModelsPerBatch} random models (seed {seed}) have wrong gradients, JVPs or HVPs:\n{string.Join("\n", failures.Take(2))}");
    }

    /// <summary>Every model tensor's and the input's gradient against central differences, every entry (the runtime tests' checker).</summary>
    private static string? Check(Type type, Tensor x, bool p)
    {
        object model = Activator.CreateInstance(type)!;
        object gradient = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        object tape = Activator.CreateInstance(type.GetNestedType("LossTape")!)!;
        var dx = new Tensor(3, 4);
        float value = (float)type.GetMethod("LossRecord")!.Invoke(model, new object[] { tape, x, p })!;
        type.GetMethod("LossBackward")!.Invoke(model, new object?[] { tape, x, p, 1f, gradient, dx });
        float Loss() => (float)type.GetMethod("Loss")!.Invoke(model, new object[] { x, p })!;
        float plain = Loss();
        if (Math.Abs(plain - value) > 1e-5 * Math.Max(1, Math.Abs(plain)))
        {
            return $"LossRecord gave {value}, Loss {plain}";
        }

        var pairs = FiniteDifferences.Pairs((ITensorSet)model, (ITensorSet)gradient).Append(("x", x, dx));
        try
        {
            FiniteDifferences.Check(pairs, Loss, samples: null);
        }
        catch (Xunit.Sdk.XunitException failure)
        {
            return failure.Message;
        }

        return CheckForwardMode(type, model, (ITensorSet)gradient, x, dx, p, plain) ?? CheckHvp(type, model, x, p, plain);
    }

    /// <summary>
    /// The Hessian-vector product (LossHvp, forward over reverse) along a random parameter direction against central
    /// differences of the (just checked) gradient along it, as whole vectors: |Hv - fd| within 2e-2 · max(1, |fd|), h =
    /// 1e-3 (ModelHvpTests' reasoning: a smaller step than the first-order checks, so that kinks are rarely crossed).
    /// </summary>
    private static string? CheckHvp(Type type, object model, Tensor x, bool p, float value)
    {
        var random = new Random(x.Length + (int)(2000 * x[1]));
        MethodInfo create = type.GetMethod("CreateGradient")!;
        object direction = create.Invoke(model, null)!, hv = create.Invoke(model, null)!, plus = create.Invoke(model, null)!, minus = create.Invoke(model, null)!;
        foreach (NamedTensor t in ((ITensorSet)direction).Tensors())
        {
            Init.Uniform(0.5f, random, t.Value.Shape.ToArray()).CopyTo(t.Value);
        }

        float hvpValue = (float)type.GetMethod("LossHvp")!.Invoke(model, new object?[] { x, p, direction, hv, null })!;
        const float h = 1e-3f;
        void Shift(float by) => FiniteDifferences.Shift((ITensorSet)model, (ITensorSet)direction, by);

        MethodInfo gradientOf = type.GetMethod("LossGradient")!;
        Shift(h);
        gradientOf.Invoke(model, new object[] { x, p, plus });
        Shift(-2 * h);
        gradientOf.Invoke(model, new object[] { x, p, minus });
        Shift(h);
        double error = 0, norm = 0;
        foreach (((_, Tensor up, Tensor product), (_, _, Tensor down)) in FiniteDifferences.Pairs((ITensorSet)plus, (ITensorSet)hv).Zip(FiniteDifferences.Pairs((ITensorSet)plus, (ITensorSet)minus)))
        {
            for (int i = 0; i < up.Length; i++)
            {
                double fd = (up[i] - (double)down[i]) / (2 * h);
                error += (fd - product[i]) * (fd - product[i]);
                norm += fd * fd;
            }
        }

        error = Math.Sqrt(error);
        norm = Math.Sqrt(norm);
        if (Math.Abs(hvpValue - value) > 1e-5 * Math.Max(1, Math.Abs(value)) || error > 2e-2 * Math.Max(1, norm))
        {
            return $"LossHvp gave {hvpValue} (Loss {value}) and |Hv - fd| = {error:G4} against |fd| = {norm:G4}";
        }

        return null;
    }

    /// <summary>
    /// Forward mode along a random direction of the parameters and the input against the (just checked) reverse mode:
    /// JVP = gradient · direction. Tolerance relative to Σ |g d| (the terms' size, not their possibly cancelling sum).
    /// </summary>
    private static string? CheckForwardMode(Type type, object model, ITensorSet gradient, Tensor x, Tensor dx, bool p, float value)
    {
        var random = new Random(x.Length + (int)(1000 * x[0]));
        object direction = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        Tensor tx = Init.Uniform(0.5f, random, 3, 4);
        foreach (NamedTensor t in ((ITensorSet)direction).Tensors())
        {
            Init.Uniform(0.5f, random, t.Value.Shape.ToArray()).CopyTo(t.Value);
        }

        var (jvpValue, tangent) = ((float, float))type.GetMethod("LossJvp")!.Invoke(model, new object?[] { x, p, direction, tx })!;
        var terms = FiniteDifferences.Pairs(gradient, (ITensorSet)direction).Append(("x", dx, tx))
            .SelectMany(pair => Enumerable.Range(0, pair.Item2.Length).Select(i => (double)pair.Item2[i] * pair.Item3[i])).ToList();
        double reverse = terms.Sum(), size = terms.Sum(Math.Abs);
        if (Math.Abs(jvpValue - value) > 1e-5 * Math.Max(1, Math.Abs(value)) || Math.Abs(tangent - reverse) > 1e-3 * Math.Max(1, size))
        {
            return $"LossJvp gave ({jvpValue}, {tangent}); Loss {value}, gradient · direction {reverse} (terms of total size {size})";
        }

        return null;
    }
}

/// <summary>Writes random model classes over 3x4 tensors (see <see cref="RandomModelTests"/>).</summary>
public sealed class RandomModelGenerator(int seed)
{
    private readonly Random _random = new(seed);
    private readonly List<string> _tensors = new();
    private readonly List<string> _floats = new();
    private string _functions = string.Empty;
    private string? _layer;
    private int _names;

    /// <summary>Two tensor functions (a tensor and a float one) in a static class.</summary>
    public string Functions(string className)
    {
        _tensors.Clear();
        _tensors.AddRange(new[] { "a", "b" });
        _floats.Clear();
        _floats.Add("c");
        _functions = string.Empty;
        string t = TensorExpr(2);
        _tensors.Remove("b");
        string f = $"c * Tensor.Mean({TensorExpr(1)} * a)";
        return $"public static class {className}\n{{\n"
            + $"    [Differentiable] public static Tensor F(Tensor a, Tensor b) => {t};\n"
            + $"    [Differentiable] public static float G(Tensor a, float c) => {f};\n}}\n";
    }

    public string Model(string name, string functions)
    {
        _functions = functions;
        _tensors.Clear();
        _floats.Clear();
        _names = 0;
        var body = new StringBuilder();
        body.Append("        Tensor t0 = x;\n        float f0 = 0.1f;\n");
        _tensors.Add("t0");
        _floats.Add("f0");
        int statements = _random.Next(2, 6);
        for (int i = 0; i < statements; i++)
        {
            body.Append(_random.Next(10) switch
            {
                0 or 1 => Loop("        ", 0),
                // a loop inside an if
                2 => $"        if ({(_random.Next(2) == 0 ? "p" : "!Flag")})\n        {{\n{Loop("            ", 1)}        }}\n",
                _ => Statement("        ", allowIf: true),
            });
        }

        string last = _tensors[^1];
        string floats = string.Join(" + ", _floats);
        return $$"""
            [Model]
            public sealed partial class {{name}}
            {
                public Tensor W0 = Init.Uniform(0.6f, new Random({{_random.Next(1000)}}), 4, 4);
                public Tensor W1 = Init.Uniform(0.6f, new Random({{_random.Next(1000)}}), 4, 4);
                public Tensor B0 = Init.Uniform(0.5f, new Random({{_random.Next(1000)}}), 4);
                public bool Flag = {{(_random.Next(2) == 0 ? "true" : "false")}};
                public int Steps = {{_random.Next(0, 4)}};
                public Autodiff.Layers.Dense[] Blocks = { new(4, 4, new Random({{_random.Next(1000)}}), xavier: true), new(4, 4, new Random({{_random.Next(1000)}}), xavier: true) };

                [Differentiable]
                public float Loss(Tensor x, bool p)
                {
            {{body}}        return Tensor.Mean({{last}} * {{last}}) + 0.1f * ({{floats}});
                }
            }

            """;
    }

    // A loop: foreach over the layers, a counted loop or a while loop counting in a float; one carried tensor
    // through the layer, then a statement or a branch per iteration, and sometimes a loop nested inside.
    private string Loop(string indent, int depth)
    {
        string carried = Pick(_tensors);
        string? outerLayer = _layer;
        string name = (++_names).ToString(CultureInfo.InvariantCulture);
        int kind = _random.Next(3);
        string steps = _random.Next(2) == 0 ? "Steps" : "2";
        var text = new StringBuilder(kind switch
        {
            0 => $"{indent}for (int i{name} = 0; i{name} < {steps}; i{name}++)\n{indent}{{\n",
            1 => $"{indent}foreach (Autodiff.Layers.Dense block{name} in Blocks)\n{indent}{{\n",
            _ => $"{indent}float w{name} = 0f;\n{indent}while (w{name} < {steps})\n{indent}{{\n",
        });
        _layer = kind == 1 ? "block" + name : outerLayer;
        text.Append(kind == 1
            ? $"{indent}    {carried} = Tensor.Tanh(block{name}.Forward({carried}));\n"
            : $"{indent}    {carried} = Tensor.Tanh(Tensor.MatMul({carried}, W1) * 0.8f);\n");
        text.Append(_random.Next(2) == 0 ? Statement(indent + "    ", allowIf: false) : IfStatement(indent + "    "));
        if (depth == 0 && _random.Next(3) == 0)
        {
            text.Append(Loop(indent + "    ", depth + 1));
        }

        if (kind == 2)
        {
            text.Append($"{indent}    w{name} = w{name} + 1f;\n");
        }

        text.Append($"{indent}}}\n");
        _layer = outerLayer;
        return text.ToString();
    }

    private string Statement(string indent, bool allowIf)
    {
        switch (_random.Next(allowIf ? 6 : 4))
        {
            case 0:
            case 1:
                if (!allowIf)
                {
                    return $"{indent}{Pick(_tensors)} = {TensorExpr(2)};\n";
                }

                string t = "t" + (++_names).ToString(CultureInfo.InvariantCulture);
                string line = $"{indent}Tensor {t} = {TensorExpr(2)};\n";
                _tensors.Add(t);
                return line;
            case 2:
                return $"{indent}{Pick(_tensors)} = {TensorExpr(2)};\n";
            case 3:
                string target = Pick(_floats);
                return $"{indent}{target} = {target} + {FloatExpr(1)};\n";
            default:
                return IfStatement(indent);
        }
    }

    private string IfStatement(string indent)
    {
        string condition = _random.Next(4) switch
        {
            0 => "p",
            1 => "!p",
            2 => "Flag",
            _ => $"{FloatExpr(1)} > {(_random.NextDouble() * 2 - 1).ToString("0.00", CultureInfo.InvariantCulture)}f",
        };
        var text = new StringBuilder($"{indent}if ({condition})\n{indent}{{\n");
        text.Append(Statement(indent + "    ", allowIf: false));
        text.Append($"{indent}}}\n");
        if (_random.Next(2) == 0)
        {
            text.Append($"{indent}else\n{indent}{{\n").Append(Statement(indent + "    ", allowIf: false)).Append($"{indent}}}\n");
        }

        return text.ToString();
    }

    private string TensorExpr(int depth)
    {
        if (depth <= 0 || _random.Next(4) == 0)
        {
            return Pick(_tensors);
        }

        string a = TensorExpr(depth - 1);
        bool inModel = _functions.Length > 0;
        return _random.Next(12) switch
        {
            0 when inModel => $"Tensor.MatMul({a}, {(_random.Next(2) == 0 ? "W0" : "W1")})",
            1 when inModel => $"{a} + B0",
            2 => $"{a} + {TensorExpr(depth - 1)}",
            3 => $"{a} - {TensorExpr(depth - 1)}",
            4 => $"{a} * {TensorExpr(depth - 1)}",
            5 => $"Tensor.Tanh({a})",
            6 => $"Tensor.Sigmoid({a})",
            7 when _layer is not null => $"{_layer}.Forward({a})",
            7 => $"{a} * 0.5f",
            8 when inModel => $"{_functions}.F({a}, {TensorExpr(depth - 1)})",
            9 => $"Tensor.Softmax({a})",
            10 => $"Tensor.Exp({a} * 0.3f)",
            _ => $"Tensor.Tanh({a} * 1.5f)",
        };
    }

    private string FloatExpr(int depth)
    {
        int choice = _random.Next(depth <= 0 ? 3 : 6);
        return choice switch
        {
            0 => $"Tensor.Mean({Pick(_tensors)})",
            1 => $"Tensor.Sum({Pick(_tensors)} * {Pick(_tensors)}) * 0.1f",
            2 => Pick(_floats),
            3 => $"{Pick(_floats)} * {FloatExpr(depth - 1)}",
            4 when _functions.Length > 0 => $"{_functions}.G({Pick(_tensors)}, {FloatExpr(depth - 1)})",
            _ => $"{FloatExpr(depth - 1)} - {FloatExpr(depth - 1)}",
        };
    }

    private string Pick(List<string> names) => names[_random.Next(names.Count)];
}
