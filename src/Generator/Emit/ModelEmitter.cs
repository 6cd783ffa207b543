using System.Linq;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Writes the class-level part of a <c>[Model]</c>: the nested <c>Gradient</c> (same members, same shapes),
/// <c>CreateGradient</c>, <c>CollectTensors</c>/<c>Parameters</c> with dotted names, and the fused optimizer step.
/// </summary>
internal static class ModelEmitter
{
    private const string Tensor = TypeRefs.Tensor;
    private const string Named = TypeRefs.NamedTensor;
    private const string List = "global::System.Collections.Generic.List<global::Autodiff.NamedTensor>";
    private const string Optimizer = TypeRefs.Optimizer;

    public static string Emit(ModelClass model)
    {
        var body = new CodeBlock();
        string name = model.Name;
        body.Line($"/// <summary>");
        body.Line($"/// The gradient of a <see cref=\"{name}\"/>: one tensor per trainable tensor, with the same names, nesting and shapes");
        body.Line($"/// (like Swift's <c>TangentVector</c> or a JAX pytree). Filled by the generated <c>*Gradient</c> methods.");
        body.Line($"/// </summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"public sealed partial class Gradient : global::Autodiff.ITensorSet"))
        {
            foreach (ModelMember member in model.Members)
            {
                body.Line($"/// <summary>∂loss/∂<see cref=\"{name}.{member.Name}\"/>.</summary>");
                body.Line($"public readonly {MemberType(member)} {member.Name};");
                body.Line(string.Empty);
            }

            body.Line($"/// <summary>A zero gradient shaped like <paramref name=\"model\"/>.</summary>");
            using (body.Block($"public Gradient({name} model)"))
            {
                foreach (ModelMember member in model.Members)
                {
                    if (member.Count is { } count)
                    {
                        body.Line($"var __{member.Name} = model.{member.Name} ?? throw new global::System.InvalidOperationException(\"{name}.{member.Name} is null; create the model's layers before its gradient.\");");
                        body.Line($"{member.Name} = new {member.ModelType}.Gradient[__{member.Name}.{count}];");
                        using (body.Block($"for (int i = 0; i < {member.Name}.Length; i++)"))
                        {
                            body.Line($"{member.Name}[i] = new {member.ModelType}.Gradient(__{member.Name}[i] ?? throw new global::System.InvalidOperationException(\"{name}.{member.Name}[\" + i + \"] is null; create the model's layers before its gradient.\"));");
                        }

                        continue;
                    }

                    body.Line(member.IsTensor
                        ? $"{member.Name} = {Tensor}.ZerosLike(model.{member.Name} ?? throw new global::System.InvalidOperationException(\"{name}.{member.Name} is null; create the model's tensors before its gradient.\"));"
                        : $"{member.Name} = new {member.ModelType}.Gradient(model.{member.Name} ?? throw new global::System.InvalidOperationException(\"{name}.{member.Name} is null; create the model's layers before its gradient.\"));");
                }
            }

            body.Line(string.Empty);
            body.Line("/// <summary>Sets every value to zero.</summary>");
            using (body.Block("public void Clear()"))
            {
                foreach (ModelMember member in model.Members)
                {
                    body.Line(member.Count is null ? $"{member.Name}.Clear();" : $"foreach ({member.ModelType}.Gradient g in {member.Name}) g.Clear();");
                }
            }

            body.Line(string.Empty);
            body.Line("/// <summary>Sets every value to zero lazily (<see cref=\"global::Autodiff.Tensor.ClearDeferred\"/>): the first derivative kernel to write a tensor overwrites it.</summary>");
            using (body.Block("public void ClearDeferred()"))
            {
                foreach (ModelMember member in model.Members)
                {
                    body.Line(member.Count is null ? $"{member.Name}.ClearDeferred();" : $"foreach ({member.ModelType}.Gradient g in {member.Name}) g.ClearDeferred();");
                }
            }

            body.Line(string.Empty);
            body.Line("/// <summary>Σ g² over every tensor (for global-norm clipping and logging).</summary>");
            using (body.Block("public double SquaredNorm()"))
            {
                body.Line("double sum = 0.0;");
                foreach (ModelMember member in model.Members)
                {
                    body.Line(member.Count is null ? $"sum += {member.Name}.SquaredNorm();" : $"foreach ({member.ModelType}.Gradient g in {member.Name}) sum += g.SquaredNorm();");
                }

                body.Line("return sum;");
            }

            body.Line(string.Empty);
            EmitCollect(body, model, string.Empty);
        }

        body.Line(string.Empty);
        body.Line("/// <summary>A zero gradient with this model's structure and shapes (allocate once, reuse every step).</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        body.Line("public Gradient CreateGradient() => new Gradient(this);");
        body.Line(string.Empty);
        EmitCollect(body, model, "this.");
        body.Line(string.Empty);
        body.Line("/// <summary>The trainable tensors with dotted names (<c>Layer1.Weight</c>), in declaration order.</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"public global::System.Collections.Generic.IReadOnlyList<{Named}> Parameters()"))
        {
            body.Line($"{List} list = new {List}();");
            body.Line("CollectTensors(list, string.Empty);");
            body.Line("return list;");
        }

        body.Line(string.Empty);
        body.Line("/// <summary>");
        body.Line("/// One optimizer step over every trainable tensor: a single fused pass per tensor that reads the gradient and the");
        body.Line("/// optimizer state and writes the parameters and the state (each tensor has its own state slot). Allocates nothing");
        body.Line("/// after the first step.");
        body.Line("/// </summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"public void Step({Optimizer} optimizer, Gradient gradient)"))
        {
            body.Line("optimizer.BeginStep(optimizer.ClipNorm is null ? 0.0 : global::System.Math.Sqrt(gradient.SquaredNorm()));");
            body.Line("StepFrom(optimizer, gradient, 0);");
            body.Line("optimizer.EndStep();");
        }

        body.Line(string.Empty);
        body.Line("/// <summary>The step for this model's tensors from optimizer slot <paramref name=\"slot\"/> on; returns the next free slot (layers call it).</summary>");
        body.Line(GeneratedFile.GeneratedCode);
        using (body.Block($"public int StepFrom({Optimizer} optimizer, Gradient gradient, int slot)"))
        {
            foreach (ModelMember member in model.Members)
            {
                body.Line(member.IsTensor
                    ? $"optimizer.Step<float>(this.{member.Name}.Span, gradient.{member.Name}.Span, slot++);"
                    : member.Count is { } count
                        ? $"for (int i = 0; i < this.{member.Name}.{count}; i++) slot = this.{member.Name}[i].StepFrom(optimizer, gradient.{member.Name}[i], slot);"
                        : $"slot = this.{member.Name}.StepFrom(optimizer, gradient.{member.Name}, slot);");
            }

            body.Line("return slot;");
        }

        string title = "Gradient type, parameters and fused step of " + string.Join(".", model.Types.Select(t => t.Name));
        return GeneratedFile.Write(GeneratedFile.Preamble(title, Enumerable.Empty<string>()), model.Namespace, model.Types, body, " : global::Autodiff.ITensorSet");
    }

    private static void EmitCollect(CodeBlock body, ModelClass model, string owner)
    {
        body.Line("/// <summary>Adds each tensor with its dotted name, prefixed by <paramref name=\"prefix\"/>.</summary>");
        using (body.Block($"public void CollectTensors({List} into, string prefix)"))
        {
            foreach (ModelMember member in model.Members)
            {
                body.Line(member.IsTensor
                    ? $"into.Add(new {Named}(prefix + \"{member.Name}\", {owner}{member.Name}));"
                    : member.Count is { } count
                        ? $"for (int i = 0; i < {owner}{member.Name}.{(owner.Length == 0 ? "Length" : count)}; i++) {owner}{member.Name}[i].CollectTensors(into, prefix + \"{member.Name}.\" + i + \".\");"
                        : $"{owner}{member.Name}.CollectTensors(into, prefix + \"{member.Name}.\");");
            }
        }
    }

    private static string MemberType(ModelMember member) => member.IsTensor ? Tensor : member.ModelType + ".Gradient" + (member.Count is null ? string.Empty : "[]");
}
