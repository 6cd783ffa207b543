using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The derivatives of a method with <c>T[,]</c>, <c>T[][]</c> or <c>T[][,]</c> parameters. The IR holds each flat, a span
/// of its elements in order with int parameters that say where they are (<see cref="FlatParameter"/>), so the work is done
/// by private derivatives over spans (<c>__FOnSpansVjp</c> and its kin, written as for any method). The public
/// <c>FVjp</c>, <c>FGradient</c> and <c>FJvp</c> take and give the user's shapes: they check the shapes of the
/// derivatives, view a matrix's storage as a span (no copy), pack a jagged array into pooled storage (one copy, and one
/// back for its adjoint), and call those.
/// </summary>
internal static class FlatWrappers
{
    public static void Emit(DifferentiableMethod method, VectorSupport vectors, CodeBlock output, MethodAnalysis analysis)
    {
        DifferentiableMethod spans = DerivativeEmitter.OnSpans(method);
        var work = new CodeBlock();
        if (!method.IsStub)
        {
            CodeBlock? lanes = DerivativeEmitter.EmitVjp(spans, vectors, work, analysis);
            work.Line(string.Empty);
            CodeBlock? gradientLanes = DerivativeEmitter.EmitGradient(spans, vectors, work, analysis);
            lanes ??= gradientLanes;
            work.Line(string.Empty);
            DerivativeEmitter.EmitJvp(spans, vectors, work, analysis);
            if (lanes is not null)
            {
                work.Line(string.Empty);
                work.Append(lanes);
            }
        }

        var wrapper = new Wrapper(method, spans);
        var reverse = new MethodContext(spans, "d", vectors, analysis);
        string t = reverse.T;
        string seed = reverse.Fresh("seed");
        var adjoints = DerivativeEmitter.Adjoints(spans, reverse).ToList();
        wrapper.Write(output, reverse, $"{method.Accessibility} static {t} {method.Name}Vjp", t, "Vjp", adjoints, isAdjoint: true, seed, names => new[]
        {
            $"/// <summary>Reverse mode of <see cref=\"{method.Name}\"/>: returns its value and writes <paramref name=\"{seed}\"/> times its partial derivatives",
            $"/// to {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))} (spans and arrays are overwritten).</summary>",
        });
        output.Line(string.Empty);

        var gradient = new MethodContext(spans, "d", vectors, analysis);
        adjoints = DerivativeEmitter.Adjoints(spans, gradient).ToList();
        wrapper.Write(output, gradient, $"{method.Accessibility} static {t} {method.Name}Gradient", t, "Gradient", adjoints, isAdjoint: true, seed: null, _ => new[]
        {
            $"/// <summary>Value and gradient of <see cref=\"{method.Name}\"/>: one adjoint per differentiable parameter, in order (spans and arrays are overwritten).</summary>",
        });
        output.Line(string.Empty);

        var forward = new MethodContext(spans, "t", VectorSupport.None with { SkipLocalsInit = vectors.SkipLocalsInit }, analysis);
        var tangents = DerivativeEmitter.Tangents(spans, forward);
        wrapper.Write(output, forward, $"{method.Accessibility} static ({t} Value, {t} Tangent) {method.Name}Jvp", $"({t} Value, {t} Tangent)", "Jvp", tangents, isAdjoint: false, seed: null, names => new[]
        {
            $"/// <summary>Forward mode of <see cref=\"{method.Name}\"/>: its value and its directional derivative along the tangents {string.Join(", ", names.Select(n => $"<paramref name=\"{n}\"/>"))}.</summary>",
        });

        if (!work.IsEmpty)
        {
            DerivativeEmitter.AppendOnSpans(output, work, "The derivatives over spans that the methods above call: each T[,], T[][] or T[][,] as its elements in order, and where they are.");
        }
    }

    /// <summary>One public derivative: the user's shapes in, the span method called.</summary>
    private sealed class Wrapper
    {
        private readonly DifferentiableMethod _method;
        private readonly DifferentiableMethod _spans;
        private readonly Dictionary<string, FlatParameter> _flat;
        private readonly HashSet<string> _companions;

        public Wrapper(DifferentiableMethod method, DifferentiableMethod spans)
        {
            _method = method;
            _spans = spans;
            _flat = method.Arrays.ToDictionary(a => a.Name);
            _companions = new HashSet<string>(method.Arrays.SelectMany(a => a.Companions));
        }

        public void Write(CodeBlock output, MethodContext context, string head, string returnType, string suffix,
            List<(string Declaration, string Name, VarInfo Parameter)> derivatives, bool isAdjoint, string? seed,
            System.Func<IReadOnlyList<string>, IEnumerable<string>> documentation)
        {
            // A struct's fields, and the derivatives of its fields, stand for one parameter of the user's: named once.
            var structs = _method.Arrays.Where(a => a.Shape == FlatShape.Struct).ToList();
            var fieldOf = new Dictionary<string, (FlatParameter Struct, int Index)>();
            foreach (FlatParameter s in structs)
            {
                for (int i = 0; i < s.Companions.Count; i++)
                {
                    fieldOf[s.Companions[i]] = (s, i);
                }
            }

            var structDerivatives = new Dictionary<FlatParameter, string>();
            foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => fieldOf.ContainsKey(d.Parameter.Name)))
            {
                FlatParameter s = fieldOf[parameter.Name].Struct;
                if (!structDerivatives.ContainsKey(s))
                {
                    structDerivatives[s] = context.Fresh((isAdjoint || seed is not null ? "d" : "t") + s.Name.TrimStart('@'));
                }
            }

            // The user's parameters, each flat one in its own shape; then the seed; then the derivatives, likewise.
            var parameters = new List<string>();
            foreach (VarInfo p in _method.Parameters)
            {
                if (fieldOf.TryGetValue(p.Name, out var field))
                {
                    if (field.Index == 0)
                    {
                        parameters.Add(TypeOf(field.Struct) + " " + field.Struct.Name);
                    }
                }
                else if (!_companions.Contains(p.Name))
                {
                    parameters.Add((_flat.TryGetValue(p.Name, out FlatParameter? f) ? UserType(p.Kind, f) : TypeClassifier.TypeText(p.Kind, p.Shape)) + " " + p.Name);
                }
            }

            var declarations = new List<string>();
            foreach ((string declaration, string name, VarInfo parameter) in derivatives)
            {
                if (fieldOf.TryGetValue(parameter.Name, out var field))
                {
                    if (derivatives.First(d => fieldOf.TryGetValue(d.Parameter.Name, out var first) && first.Struct == field.Struct).Name == name)
                    {
                        declarations.Add((isAdjoint ? "out " : string.Empty) + TypeOf(field.Struct) + " " + structDerivatives[field.Struct]);
                    }
                }
                else
                {
                    declarations.Add(_flat.TryGetValue(parameter.Name, out FlatParameter? f) ? UserType(parameter.Kind, f, derivative: isAdjoint || seed is not null ? "Span" : "ReadOnlySpan") + " " + name : declaration);
                }
            }

            string all = DerivativeEmitter.Join(string.Join(", ", parameters), seed is null ? string.Empty : TypeClassifier.Keyword(_method.ReturnKind) + " " + seed, string.Join(", ", declarations));

            // The documentation names the derivatives as the signature does (a struct's once, not its fields').
            var documented = derivatives.Select(d => fieldOf.TryGetValue(d.Parameter.Name, out var f) ? structDerivatives[f.Struct] : d.Name).Distinct().ToList();
            foreach (string line in documentation(documented))
            {
                output.Line(line);
            }

            DerivativeEmitter.WriteAttributes(output, context);
            using (output.Block($"{head}({all})"))
            {
                if (_method.IsStub)
                {
                    if (isAdjoint)
                    {
                        foreach (string structDerivative in structDerivatives.Values)
                        {
                            output.Line(structDerivative + " = default;");
                        }
                    }

                    output.Line(DerivativeEmitter.Stub(_method));
                    return;
                }

                // The shapes of the derivatives, checked before anything is packed.
                foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => _flat.TryGetValue(d.Parameter.Name, out FlatParameter? f) && f.Shape != FlatShape.Struct))
                {
                    string of = parameter.Name;
                    output.Line(_flat[of].Shape switch
                    {
                        FlatShape.Matrix => $"if ({name}.GetLength(0) != {of}.GetLength(0) || {name}.GetLength(1) != {of}.GetLength(1)) {TypeRefs.Helpers}.ThrowShape(\"{name}\", \"{of}\", {of}, {name});",
                        // In elements, before the span methods compare the fields.
                        FlatShape.StructArray => $"if ({name}.Length != {of}.Length) {TypeRefs.Helpers}.ThrowLength(\"{name}\", \"{of}\", {of}.Length, {name}.Length);",
                        _ => $"{TypeRefs.Helpers}.CheckShape(\"{name}\", \"{of}\", {of}, {name});",
                    });
                }

                // Jagged arrays packed: the parameters and tangents with their elements, the adjoints by shape only.
                var packs = new Dictionary<string, string>();
                var written = new List<(string Pack, string Into)>();
                foreach (VarInfo parameter in _method.Parameters.Where(p => _flat.TryGetValue(p.Name, out FlatParameter? f) && f.Shape is FlatShape.Jagged or FlatShape.JaggedMatrices))
                {
                    packs[parameter.Name] = Pack(output, context, parameter, parameter.Name, copy: true);
                }

                foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => _flat.TryGetValue(d.Parameter.Name, out FlatParameter? f) && f.Shape is FlatShape.Jagged or FlatShape.JaggedMatrices))
                {
                    packs[name] = Pack(output, context, parameter, name, copy: !isAdjoint);
                    if (isAdjoint)
                    {
                        written.Add((packs[name], name));
                    }
                }

                // A struct's adjoint: one local per field, then the struct built from them.
                if (isAdjoint)
                {
                    foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => fieldOf.ContainsKey(d.Parameter.Name)))
                    {
                        output.Line($"{TypeClassifier.Keyword(parameter.Kind)} {name};");
                    }
                }

                var arguments = new List<string>();
                foreach (VarInfo p in _method.Parameters)
                {
                    if (fieldOf.TryGetValue(p.Name, out var field))
                    {
                        arguments.Add(field.Struct.Name + "." + field.Struct.Paths[field.Index]);
                    }
                    else if (!_companions.Contains(p.Name))
                    {
                        arguments.AddRange(Arguments(p, p.Name, packs, companions: true));
                    }
                }

                var derivativeArguments = new List<string>();
                foreach ((string declaration, string name, VarInfo parameter) in derivatives)
                {
                    if (fieldOf.TryGetValue(parameter.Name, out var field))
                    {
                        derivativeArguments.Add(isAdjoint ? "out " + name : structDerivatives[field.Struct] + "." + field.Struct.Paths[field.Index]);
                    }
                    else
                    {
                        derivativeArguments.AddRange(_flat.ContainsKey(parameter.Name)
                            ? Arguments(parameter, name, packs, companions: false)
                            : new[] { (declaration.StartsWith("out ", System.StringComparison.Ordinal) ? "out " : string.Empty) + name });
                    }
                }

                string call = $"{DerivativeEmitter.Qualified(_method, _spans.Name + suffix)}({DerivativeEmitter.Join(string.Join(", ", arguments), seed ?? string.Empty, string.Join(", ", derivativeArguments))})";
                var built = new List<string>();
                if (isAdjoint)
                {
                    foreach (KeyValuePair<FlatParameter, string> s in structDerivatives)
                    {
                        // Fields without a derivative (ints, bools) are left at their defaults.
                        string value = s.Key.Template!;
                        for (int i = 0; i < s.Key.Companions.Count; i++)
                        {
                            string? adjoint = derivatives.FirstOrDefault(d => d.Parameter.Name == s.Key.Companions[i]).Name;
                            value = value.Replace("{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", adjoint ?? "default");
                        }

                        built.Add($"{s.Value} = {value};");
                    }
                }

                if (packs.Count == 0 && built.Count == 0)
                {
                    output.Line($"return {call};");
                    return;
                }

                string result = context.Fresh("__value");
                if (packs.Count == 0)
                {
                    output.Line($"{returnType} {result} = {call};");
                    foreach (string line in built)
                    {
                        output.Line(line);
                    }

                    output.Line($"return {result};");
                    return;
                }

                using (output.Block("try"))
                {
                    output.Line($"{returnType} {result} = {call};");
                    foreach ((string pack, string into) in written)
                    {
                        output.Line($"{pack}.CopyTo({into});");
                    }

                    foreach (string line in built)
                    {
                        output.Line(line);
                    }

                    output.Line($"return {result};");
                }

                using (output.Block("finally"))
                {
                    foreach (string pack in packs.Values)
                    {
                        output.Line($"{pack}.Dispose();");
                    }
                }
            }
        }

        // The struct's type, as its template builds it.
        private static string TypeOf(FlatParameter structParameter)
        {
            string template = structParameter.Template!;
            int open = template.IndexOf('(');
            return template.StartsWith("new ", System.StringComparison.Ordinal)
                ? template.Substring(4, open - 4)
                : template.Substring(open + 1, template.IndexOf(')') - open - 1);
        }

        private static string Pack(CodeBlock output, MethodContext context, VarInfo parameter, string name, bool copy)
        {
            string pack = context.Fresh("__" + name.TrimStart('@') + "Packed");
            output.Line($"var {pack} = global::Autodiff.Generated.AutodiffPacked<{TypeClassifier.Keyword(parameter.Kind)}>.Pack({name}, {(copy ? "true" : "false")});");
            return pack;
        }

        // What the span method takes for a parameter (or one of its derivatives): the value itself, or its elements and,
        // for the parameter, its companions.
        private IEnumerable<string> Arguments(VarInfo parameter, string name, Dictionary<string, string> packs, bool companions)
        {
            if (!_flat.TryGetValue(parameter.Name, out FlatParameter? flat))
            {
                yield return name;
                yield break;
            }

            if (flat.Shape == FlatShape.StructArray)
            {
                // The structs' memory as their fields, in place.
                string container = companions ? flat.Paths[0] : "Span";
                string span = container == "array" ? $"(global::System.ReadOnlySpan<{flat.Template}>){name}" : name;
                yield return $"global::System.Runtime.InteropServices.MemoryMarshal.Cast<{flat.Template}, {TypeClassifier.Keyword(parameter.Kind)}>({span})";
                yield break;
            }

            if (flat.Shape == FlatShape.Matrix)
            {
                yield return $"{TypeRefs.Helpers}.Elements({name})";
                if (companions)
                {
                    yield return name + ".GetLength(0)";
                    yield return name + ".GetLength(1)";
                }

                yield break;
            }

            string pack = packs[name];
            yield return pack + ".Elements";
            if (companions)
            {
                yield return pack + ".Count";
                yield return pack + ".Starts";
                if (flat.Shape == FlatShape.JaggedMatrices)
                {
                    yield return pack + ".RowCounts";
                    yield return pack + ".ColumnCounts";
                }
            }
        }

        private static string UserType(ScalarKind kind, FlatParameter flat, string? derivative = null) => flat.Shape switch
        {
            FlatShape.StructArray => (derivative ?? flat.Paths[0]) switch
            {
                "array" => flat.Template + "[]",
                var span => "global::System." + span + "<" + flat.Template + ">",
            },
            FlatShape.Matrix => TypeClassifier.Keyword(kind) + "[,]",
            FlatShape.Jagged => TypeClassifier.Keyword(kind) + "[][]",
            _ => TypeClassifier.Keyword(kind) + "[][,]",
        };
    }
}
