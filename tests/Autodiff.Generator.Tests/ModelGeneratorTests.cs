using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>[Model] classes and their [Differentiable] methods: generated code, diagnostics, stubs.</summary>
public class ModelGeneratorTests
{
    private const string Header = "using System; using Autodiff; using Autodiff.Layers;\nnamespace Models;\n";

    private const string TwoLayer = Header + """
        [Model]
        public sealed partial class Classifier
        {
            public Dense Hidden = new(4, 8, new Random(1));
            public Tensor Scale = Tensor.Full(1f, 8);

            [Differentiable]
            public Tensor Forward(Tensor x) => Tensor.Relu(Hidden.Forward(x)) * Scale;

            [Differentiable]
            public float Loss(Tensor x, int[] labels, float decay)
            {
                Tensor logits = Forward(x);
                float data = Tensor.SoftmaxCrossEntropy(logits, labels);
                return data + decay * Tensor.Sum(Hidden.Weight * Hidden.Weight);
            }
        }
        """;

    [Fact]
    public void Generated_model_code_matches_snapshot_and_compiles() => VerifyModelSnapshot("Model", TwoLayer);

    /// <summary>Generates, checks that it compiles without diagnostics, and compares the model files with the approved snapshot.</summary>
    private static void VerifyModelSnapshot(string name, string source)
    {
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
        string generated = string.Join("\n", result.Sources.Where(s => s.HintName.StartsWith("Models.", StringComparison.Ordinal))
            .OrderBy(s => s.HintName, StringComparer.Ordinal).Select(s => $"//// {s.HintName}\n{s.SourceText}"));
        generated = generated.Replace("\"" + Emit.DerivativeEmitter.Version + "\"", "\"{version}\"", StringComparison.Ordinal);
        SnapshotTests.VerifySnapshot(name, generated);
    }

    private const string Stacked = Header + """
        [Model]
        public sealed partial class Stack
        {
            public Dense[] Blocks = { new(4, 4, new Random(1)), new(4, 4, new Random(2)) };

            [Differentiable]
            public float Loss(Tensor x, int[] labels)
            {
                float penalty = 0f;
                foreach (Dense block in Blocks)
                {
                    x = Tensor.Tanh(block.Forward(x));
                    penalty += Tensor.Sum(block.Weight * block.Weight);
                }

                return Tensor.SoftmaxCrossEntropy(x, labels) + 0.01f * penalty;
            }
        }
        """;

    [Fact]
    public void A_loop_over_layers_matches_snapshot_and_compiles() => VerifyModelSnapshot("ModelLoop", Stacked);

    private const string Nested = Header + """
        [Model]
        public sealed partial class Rounds
        {
            public Dense[] Blocks = { new(4, 4, new Random(1)), new(4, 4, new Random(2)) };

            [Differentiable]
            public float Loss(Tensor x, int[] labels, int rounds)
            {
                float penalty = 0f;
                for (int r = 0; r < rounds; r++)
                {
                    foreach (Dense block in Blocks)
                    {
                        x = Tensor.Tanh(block.Forward(x)) + x;
                    }

                    penalty += Tensor.Mean(x * x);
                }

                float size = Tensor.Mean(x * x);
                while (size > 1f)
                {
                    x = x * 0.5f;
                    size = Tensor.Mean(x * x);
                }

                return Tensor.SoftmaxCrossEntropy(x, labels) + 0.01f * penalty;
            }
        }
        """;

    [Fact]
    public void Nested_and_while_loops_match_snapshot_and_compile() => VerifyModelSnapshot("ModelNestedLoops", Nested);

    [Theory]
    [InlineData("foreach (int i in labels) { } return Tensor.Sum(x);", "a model method can loop over a list of layers", "AD0111")]
    [InlineData("for (int i = labels.Length; i < 3; i++) { x = x * 2f; } return Tensor.Sum(x);", "a counted loop in model code is for (int i = c; i < n; i++)", "AD0111")]
    [InlineData("for (int i = 0; i < labels.Length; i++) { i = i + 1; } return Tensor.Sum(x);", "a counted loop in model code", "AD0111")]
    [InlineData("for (int i = 0; i < 3; i++) { if (i > 1) break; x = x * 2f; } return Tensor.Sum(x);", "break and continue", "AD0111")]
    [InlineData("for (int i = 0; i < 3; i++) { for (int j = 0; j < 3; j += 2) { x = x * 2f; } } return Tensor.Sum(x);", "a counted loop in model code", "AD0111")]
    [InlineData("foreach (Dense d in Ds) { for (int j = 0; j < 2; j++) { return Tensor.Sum(x); } } return Tensor.Sum(x);", "return inside a loop", "AD0111")]
    [InlineData("while (labels.Length > 0) { x = x * 2f; } return Tensor.Sum(x);", "of a while loop; in model code it compares float values the loop updates", "AD0111")]
    [InlineData("do { x = x * 0.5f; } while (Tensor.Sum(x) > 1f); return Tensor.Sum(x);", "the do-while loop; write it as a while loop", "AD0111")]
    [InlineData("while (Tensor.Sum(x) > 1f) { x = x * 0.5f; if (labels.Length > 2) continue; } return Tensor.Sum(x);", "break and continue", "AD0111")]
    [InlineData("while (x.SameShape(x)) { x = x * 0.5f; } return Tensor.Sum(x);", "a condition in model code (of an if or a while) is a bool", "AD0111")]
    [InlineData("if (Tensor.Sum(x) > 0f) { return Tensor.Sum(x); } return 0f;", "return inside an if", "AD0111")]
    [InlineData("if (x.SameShape(x)) { x = x * 2f; } return Tensor.Sum(x);", "a condition in model code (of an if or a while) is a bool that does not depend on tensors", "AD0111")]
    [InlineData("double s = 2.0; return Tensor.Sum(x);", "the local 's' of type 'double'", "AD0112")]
    [InlineData("Tensor y = Helpers.Opaque(x); return Tensor.Sum(y);", "AD0104", "AD0104")]
    [InlineData("W = x; return Tensor.Sum(x);", "AD0103", "AD0103")]
    [InlineData("float s = Tensor.Sum(x); return s * (float)Math.Sqrt(2.0 * s);", "double arithmetic", "AD0112")]
    [InlineData("switch (labels.Length) { case 1: x = x * 2f; break; } return Tensor.Sum(x);", "AD0108", "AD0108")]
    [InlineData("float s = Tensor.Sum(x); return s switch { > 1f => s, _ => 2f * s };", "AD0112", "AD0112")]
    [InlineData("return Tensor.Sum(Ds[0].Forward(x));", "calls on 'Ds[0]'", "AD0113")]
    public void Unsupported_model_code_gets_a_diagnostic_at_its_location_and_stubs_that_compile(string body, string expected, string id)
    {
        string source = Header + """
            public static class Helpers { public static Tensor Opaque(Tensor t) => t; }
            [Model]
            public sealed partial class Net
            {
                public Tensor W = new Tensor(2, 2);
                public Dense[] Ds = { new(2, 2, new Random(1)) };

                [Differentiable]
                public float Loss(Tensor x, int[] labels)
                {
            """ + body + """
                }
            }
            """;
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        var diagnostics = result.AutodiffDiagnostics();
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.True(diagnostic.Id == expected || diagnostic.GetMessage().Contains(expected, StringComparison.Ordinal), diagnostic.ToString());
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.True(diagnostic.Location.IsInSource);
        Assert.Contains("LossGradient", result.Source("Net.Loss."));
    }

    [Fact]
    public void Declaration_problems_come_from_the_analyzer()
    {
        string source = Header + """
            [Model] public sealed class NotPartial { public Tensor W = new Tensor(1); }
            [Model] public sealed partial record Rec { public Tensor W = new Tensor(1); }
            [Model] public sealed partial class GenericMethod { public Tensor W = new Tensor(1); [Differentiable] public float F<T>(Tensor x) => Tensor.Sum(x); }
            public static class Functions { [Differentiable] public static Tensor ByRef(ref Tensor x) => x; }
            [Model] public sealed partial class BadReturn { public Tensor W = new Tensor(1); [Differentiable] public double F(Tensor x) => Tensor.Sum(x); }
            """;
        var result = GeneratorHarness.Run(source);
        var ids = result.AutodiffDiagnostics().Select(d => d.Id).OrderBy(i => i).ToArray();
        Assert.Contains("AD0002", ids);
        Assert.Contains("AD0006", ids);
        Assert.Contains("AD0005", ids);
        Assert.Contains("AD0003", ids);
        Assert.Contains("AD0004", ids);
    }

    private const string WithFunctions = Header + """
        using static System.MathF;
        public static class Activations
        {
            internal static readonly float Beta = Sqrt(2f);

            /// <summary>Swish with a gain from MathF and a static field (qualified in the caller), a passive int and bool below.</summary>
            [Differentiable]
            public static Tensor Swish(Tensor x) => x * Tensor.Sigmoid(x * (Beta * Log(2f)));

            [Differentiable]
            public static Tensor Block(Tensor x, float scale, int seed, bool training) => Tensor.Dropout(Swish(x) * scale, 0.1f, seed, training);

            [Differentiable]
            public static float Penalty(Tensor w, float decay) => decay * Tensor.Sum(w * w);
        }

        [Model]
        public sealed partial class Net
        {
            public Dense Hidden = new(4, 8, new Random(1));
            public Dense Output = new(8, 3, new Random(2));

            [Differentiable]
            public float Loss(Tensor x, int[] labels, int seed)
            {
                Tensor h = Activations.Block(Hidden.Forward(x), 2f, seed, false);
                return Tensor.SoftmaxCrossEntropy(Output.Forward(h), labels) + Activations.Penalty(Hidden.Weight, 0.01f);
            }
        }
        """;

    private const string WithBranches = Header + """
        [Model]
        public sealed partial class Net
        {
            public Dense Hidden = new(4, 8, new Random(1));
            public Dense Output = new(8, 3, new Random(3));
            public bool Squash = true;

            [Differentiable]
            public float Loss(Tensor x, int[] labels)
            {
                Tensor h = Hidden.Forward(x);
                float scale = Tensor.Mean(h);
                if (scale < 0f)
                {
                    scale = -scale;
                }

                if (Squash) h = Tensor.Sigmoid(h);
                else h = Tensor.Relu(h);
                return Tensor.SoftmaxCrossEntropy(Output.Forward(h), labels) + 0.1f * scale;
            }
        }
        """;

    [Fact]
    public void Branches_keep_their_condition_on_the_tape_and_replay_it_backwards() => VerifyModelSnapshot("ModelBranch", WithBranches);

    [Fact]
    public void Tensor_functions_are_inlined_into_the_model_method() => VerifyModelSnapshot("ModelFunctions", WithFunctions);

    [Fact]
    public void A_stored_value_passed_to_a_tensor_function_inside_a_loop_is_read_from_the_loop_frame()
    {
        string source = Header + """
            public static class Fn
            {
                [Differentiable]
                public static Tensor Drop(Tensor x, int seed, bool training) => Tensor.Dropout(x, 0.1f, seed * 3 + 1, training);
            }

            [Model]
            public sealed partial class Net
            {
                public Dense[] Ds = { new(2, 2, new Random(1)), new(2, 2, new Random(2)) };
                public int Seed = 5;

                [Differentiable]
                public float Loss(Tensor x, bool training)
                {
                    foreach (Dense d in Ds)
                    {
                        x = Fn.Drop(d.Forward(x), Seed, training);
                    }

                    return Tensor.Sum(x);
                }
            }
            """;
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
        string generated = result.Source("Net.Loss.");
        // Seed is evaluated into the frame, and the function's passive expression reads it from there.
        Assert.Matches(@"__f0\.a(\d+) = Seed;", generated);
        Assert.Matches(@"__f0\.a\d+ = __f0\.a\d+ \* 3 \+ 1;", generated);
    }

    [Theory]
    [InlineData("[Differentiable] public static Tensor F(Tensor x) => F(x);", "Tensor.Sum(Fn.F(x))", "recursive call")]
    [InlineData("[Differentiable] public static Tensor F(Tensor x) { if (x.SameShape(x)) { } return x; }", "Tensor.Sum(Fn.F(x))", "a condition in model code (of an if or a while) is a bool")]
    [InlineData("[Differentiable] public static Tensor F(Tensor x) => Fn.Opaque(x); public static Tensor Opaque(Tensor t) => t;", "Tensor.Sum(Fn.F(x))", "AD0104")]
    [InlineData("private static float s = 2f; [Differentiable] public static Tensor F(Tensor x) => x * s;", "Tensor.Sum(Fn.F(x))", "Fn.s', which the model method that inlines this tensor function cannot access")]
    public void Errors_in_a_tensor_function_are_reported_on_it_and_at_the_call(string function, string use, string expected)
    {
        string source = Header + "public static class Fn { " + function + " }\n" + """
            [Model]
            public sealed partial class Net
            {
                public Tensor W = new Tensor(2, 2);

                [Differentiable]
                public float Loss(Tensor x) => 
            """ + use + """
            ;
            }
            """;
        var result = GeneratorHarness.Run(source);
        Assert.Empty(result.CompilerErrors());
        var diagnostics = result.AutodiffDiagnostics();
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Contains(diagnostics, d => d.Id == expected || d.GetMessage().Contains(expected, StringComparison.Ordinal));
        // One error at the call in the model method (the function's own errors are reported once, on it).
        Assert.Single(diagnostics, d => d.GetMessage().Contains("tensor function 'Fn.F'", StringComparison.Ordinal));
        Assert.DoesNotContain("FGradient", string.Join("\n", result.Sources.Select(s => s.SourceText)));
    }

    [Fact]
    public void Model_gradient_runs_in_a_compiled_assembly()
    {
        var assembly = GeneratorHarness.CompileAndLoad(TwoLayer);
        Type type = assembly.GetType("Models.Classifier")!;
        object model = Activator.CreateInstance(type)!;
        object gradient = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        var x = Tensor.Full(0.5f, 3, 4);
        float loss = (float)type.GetMethod("LossGradient")!.Invoke(model, new object[] { x, new[] { 0, 1, 2 }, 0.01f, gradient })!;
        Assert.True(float.IsFinite(loss) && loss > 0);
        var names = ((ITensorSet)gradient).Tensors().Select(t => t.Name);
        Assert.Equal(new[] { "Hidden.Weight", "Hidden.Bias", "Scale" }, names);
    }

    private const string CustomOp = Header + """
        public static class MyOps
        {
            [CustomDerivative(nameof(SquareVjp)JVP)]
            public static Tensor Square(Tensor x) => x * x;

            public static void SquareVjp(Tensor x, Tensor y, Tensor dy, Tensor? dx)
            {
                if (dx is not null) TensorDerivatives.Accumulate(dx, 2f * x * dy);
            }

            public static Tensor? SquareJvp(Tensor x, Tensor y, Tensor? tx) => tx is null ? null : 2f * x * tx;

            // dx = 2 x dy: its tangent is 2 (tx dy + x tdy)
            public static void SquareVjpTangent(Tensor x, Tensor y, Tensor dy, Tensor? tx, Tensor? tdy, Tensor? tdx)
            {
                if (tdx is null) return;
                if (tx is not null) TensorDerivatives.Accumulate(tdx, 2f * tx * dy);
                if (tdy is not null) TensorDerivatives.Accumulate(tdx, 2f * x * tdy);
            }
        }

        [Model]
        public sealed partial class Net
        {
            public Tensor W = Tensor.Full(0.5f, 2, 2);

            [Differentiable]
            public Tensor Forward(Tensor x) => MyOps.Square(Tensor.MatMul(x, W));

            [Differentiable]
            public float Loss(Tensor x) => Tensor.Sum(Forward(x));
        }

        [Model]
        public sealed partial class Outer
        {
            public Net Inner = new();

            [Differentiable]
            public float Loss(Tensor x) => Tensor.Mean(Inner.Forward(x)) * 3f;
        }
        """;

    [Fact]
    public void A_users_tensor_op_with_a_jvp_gets_forward_mode_through_layers()
    {
        var assembly = GeneratorHarness.CompileAndLoad(CustomOp.Replace("JVP", ", Jvp = nameof(SquareJvp)", StringComparison.Ordinal));
        Type type = assembly.GetType("Models.Outer")!;
        object model = Activator.CreateInstance(type)!;
        object gradient = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        object direction = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        var random = new Random(1);
        foreach (NamedTensor t in ((ITensorSet)direction).Tensors())
        {
            for (int i = 0; i < t.Value.Length; i++)
            {
                t.Value[i] = (float)random.NextDouble() - 0.5f;
            }
        }

        var x = Tensor.FromArray(new[] { 0.3f, -0.7f, 1.1f, 0.2f, -0.4f, 0.9f }, 3, 2);
        float loss = (float)type.GetMethod("LossGradient")!.Invoke(model, new[] { x, gradient })!;
        var (value, tangent) = ((float, float))type.GetMethod("LossJvp")!.Invoke(model, new object?[] { x, direction, null })!;
        Assert.Equal(loss, value, 5);
        double expected = ((ITensorSet)gradient).Tensors().Zip(((ITensorSet)direction).Tensors(), (g, d) => Enumerable.Range(0, g.Value.Length).Sum(i => (double)g.Value[i] * d.Value[i])).Sum();
        Assert.Equal(expected, tangent, 4);
    }

    [Fact]
    public void A_jvp_with_an_into_overload_writes_into_the_tangent_on_the_tape()
    {
        // Without the overload the JVP is called as registered; with it, the op's tangent slot is passed as the
        // destination (the tangent the previous call left there), and forward mode still matches gradient · direction.
        string plain = GeneratorHarness.Run(CustomOp.Replace("JVP", ", Jvp = nameof(SquareJvp)", StringComparison.Ordinal)).Source("Models.Net.Forward.");
        Assert.Contains("= global::Models.MyOps.SquareJvp(tape.t0!, tape.t1!, tape.j0);", plain, StringComparison.Ordinal);
        string withInto = CustomOp.Replace("JVP", ", Jvp = nameof(SquareJvp)", StringComparison.Ordinal).Replace(
            "public static Tensor? SquareJvp(Tensor x, Tensor y, Tensor? tx) => tx is null ? null : 2f * x * tx;",
            "public static Tensor? SquareJvp(Tensor x, Tensor y, Tensor? tx) => SquareJvp(x, y, tx, null);\n"
            + "public static Tensor? SquareJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into) => tx is null ? null : Tensor.Multiply(2f * x, tx, ReferenceEquals(into, tx) ? null : into);",
            StringComparison.Ordinal);
        Assert.Contains("SquareJvp(Tensor x, Tensor y, Tensor? tx, Tensor? into)", withInto, StringComparison.Ordinal);
        GeneratorHarness.Result result = GeneratorHarness.Run(withInto);
        Assert.Empty(result.CompilerErrors());
        Assert.Contains("tape.j1 = global::Models.MyOps.SquareJvp(tape.t0!, tape.t1!, tape.j0, tape.j1);", result.Source("Models.Net.Forward."), StringComparison.Ordinal);

        Type type = GeneratorHarness.Load(result).GetType("Models.Net")!;
        object model = Activator.CreateInstance(type)!;
        object gradient = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        object direction = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        ((ITensorSet)direction).Tensors().First().Value[1] = 0.75f;
        var x = Tensor.FromArray(new[] { 0.3f, -0.7f, 1.1f, 0.2f }, 2, 2);
        type.GetMethod("LossGradient")!.Invoke(model, new[] { x, gradient });
        float expected = 0.75f * ((ITensorSet)gradient).Tensors().First().Value[1];
        for (int call = 0; call < 2; call++)
        {
            var (_, tangent) = ((float, float))type.GetMethod("LossJvp")!.Invoke(model, new object?[] { x, direction, null })!;
            Assert.Equal(expected, tangent, 4);
        }
    }

    [Fact]
    public void A_tensor_op_without_a_jvp_makes_jvp_a_compile_error_at_its_call_and_a_clear_exception_through_a_layer()
    {
        // The model compiles (reverse mode works); only calling its Jvp is an error, which names the op.
        var result = GeneratorHarness.Run(CustomOp.Replace("JVP", string.Empty, StringComparison.Ordinal));
        Assert.Empty(result.CompilerErrors());
        Assert.Empty(result.AutodiffDiagnostics());
        var calling = GeneratorHarness.Run(CustomOp.Replace("JVP", string.Empty, StringComparison.Ordinal),
            "namespace Models; public static class Use { public static object M(Net n, Autodiff.Tensor x) => n.ForwardJvp(x, n.CreateGradient()); }");
        Diagnostic error = Assert.Single(calling.CompilerErrors());
        Assert.Equal("CS0619", error.Id);
        Assert.Contains("Forward mode of 'Forward' needs a JVP for 'Models.MyOps.Square'", error.GetMessage(), StringComparison.Ordinal);

        // A caller through a layer cannot know at compile time: its Jvp throws, naming the op.
        var assembly = GeneratorHarness.CompileAndLoad(CustomOp.Replace("JVP", string.Empty, StringComparison.Ordinal));
        Type type = assembly.GetType("Models.Outer")!;
        object model = Activator.CreateInstance(type)!;
        object direction = type.GetMethod("CreateGradient")!.Invoke(model, null)!;
        var thrown = Assert.Throws<System.Reflection.TargetInvocationException>(() => type.GetMethod("LossJvp")!.Invoke(model, new object?[] { Tensor.Full(1f, 1, 2), direction, null }));
        Assert.IsType<NotSupportedException>(thrown.InnerException);
        Assert.Contains("needs a JVP for 'Models.MyOps.Square'", thrown.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tensor_jvp_of_the_wrong_shape_is_AD0302_at_the_call()
    {
        var result = GeneratorHarness.Run(CustomOp.Replace("JVP", ", Jvp = nameof(SquareVjp)", StringComparison.Ordinal));
        Assert.Empty(result.CompilerErrors());
        Diagnostic diagnostic = Assert.Single(result.AutodiffDiagnostics());
        Assert.Equal("AD0302", diagnostic.Id);
        Assert.Contains("MyOps.SquareVjp", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("Tensor? SquareVjp(Autodiff.Tensor, result, Tensor? tx)", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_users_tensor_op_with_a_vjp_tangent_gets_hessian_vector_products_through_layers()
    {
        var assembly = GeneratorHarness.CompileAndLoad(CustomOp.Replace("JVP", ", Jvp = nameof(SquareJvp), VjpTangent = nameof(SquareVjpTangent)", StringComparison.Ordinal));
        Type type = assembly.GetType("Models.Outer")!;
        object model = Activator.CreateInstance(type)!;
        MethodInfo create = type.GetMethod("CreateGradient")!;
        object direction = create.Invoke(model, null)!, hv = create.Invoke(model, null)!, plus = create.Invoke(model, null)!, minus = create.Invoke(model, null)!;
        var random = new Random(2);
        foreach (NamedTensor t in ((ITensorSet)direction).Tensors())
        {
            for (int i = 0; i < t.Value.Length; i++)
            {
                t.Value[i] = (float)random.NextDouble() - 0.5f;
            }
        }

        var x = Tensor.FromArray(new[] { 0.3f, -0.7f, 1.1f, 0.2f, -0.4f, 0.9f }, 3, 2);
        float value = (float)type.GetMethod("LossHvp")!.Invoke(model, new[] { x, direction, hv, null })!;
        Assert.Equal((float)type.GetMethod("Loss")!.Invoke(model, new object[] { x })!, value, 5);

        // The loss is a quartic in W: central differences of the gradient are exact up to h² times its fourth derivative.
        const float h = 1e-2f;
        Tensor w = ((ITensorSet)model).Tensors().Single().Value, d = ((ITensorSet)direction).Tensors().Single().Value;
        Tensor original = w.Clone();
        (w + d * h).CopyTo(w);
        type.GetMethod("LossGradient")!.Invoke(model, new[] { x, plus });
        (original - d * h).CopyTo(w);
        type.GetMethod("LossGradient")!.Invoke(model, new[] { x, minus });
        original.CopyTo(w);
        Tensor product = ((ITensorSet)hv).Tensors().Single().Value, up = ((ITensorSet)plus).Tensors().Single().Value, down = ((ITensorSet)minus).Tensors().Single().Value;
        for (int i = 0; i < product.Length; i++)
        {
            double fd = (up[i] - (double)down[i]) / (2 * h);
            Assert.True(Math.Abs(fd - product[i]) <= 3e-3 * Math.Max(1, Math.Abs(fd)), $"W[{i}]: Hv {product[i]} vs finite difference {fd}");
        }
    }

    [Fact]
    public void A_tensor_op_without_a_vjp_tangent_makes_hvp_a_compile_error_and_a_clear_exception_through_a_layer()
    {
        string source = CustomOp.Replace("JVP", ", Jvp = nameof(SquareJvp)", StringComparison.Ordinal);
        // An op right in the float method: calling its Hvp does not compile, and the error names the op.
        string direct = """
            namespace Models;
            [Autodiff.Model]
            public sealed partial class Direct
            {
                public Autodiff.Tensor W = Autodiff.Tensor.Full(0.5f, 2, 2);

                [Autodiff.Differentiable]
                public float Loss(Autodiff.Tensor x) => Autodiff.Tensor.Sum(MyOps.Square(Autodiff.Tensor.MatMul(x, W)));
            }

            public static class Use { public static float M(Direct n, Autodiff.Tensor x) => n.LossHvp(x, n.CreateGradient(), n.CreateGradient()); }
            """;
        var calling = GeneratorHarness.Run(source, direct);
        Diagnostic error = Assert.Single(calling.CompilerErrors());
        Assert.Equal("CS0619", error.Id);
        Assert.Contains("Hessian-vector products of 'Loss' need a JVP and a VJP tangent for 'Models.MyOps.Square'", error.GetMessage(), StringComparison.Ordinal);

        // Through a model method or a layer the caller cannot know at compile time: its Hvp throws, naming the op.
        var assembly = GeneratorHarness.CompileAndLoad(source);
        Type type = assembly.GetType("Models.Outer")!;
        object model = Activator.CreateInstance(type)!;
        MethodInfo create = type.GetMethod("CreateGradient")!;
        var thrown = Assert.Throws<TargetInvocationException>(() => type.GetMethod("LossHvp")!.Invoke(model, new[] { Tensor.Full(1f, 1, 2), create.Invoke(model, null), create.Invoke(model, null), null }));
        Assert.IsType<NotSupportedException>(thrown.InnerException);
        Assert.Contains("VJP tangent for 'Models.MyOps.Square'", thrown.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vjp_tangent_of_the_wrong_shape_is_AD0302_at_the_call()
    {
        var result = GeneratorHarness.Run(CustomOp.Replace("JVP", ", Jvp = nameof(SquareJvp), VjpTangent = nameof(SquareJvp)", StringComparison.Ordinal));
        Assert.Empty(result.CompilerErrors());
        Diagnostic diagnostic = Assert.Single(result.AutodiffDiagnostics());
        Assert.Equal("AD0302", diagnostic.Id);
        Assert.Contains("MyOps.SquareJvp", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("static void SquareJvp(Autodiff.Tensor, result, dResult, Tensor? tx, Autodiff.Tensor? tdResult, Tensor? tdx)", diagnostic.GetMessage(), StringComparison.Ordinal);
    }
}
