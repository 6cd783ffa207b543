using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>The frame of one public derivative in the user's shapes (<see cref="Wrapper"/>), shared by the entry points.</summary>
internal static partial class FlatWrappers
{
    /// <summary>
    /// For a method that returns an array (its results the IR's <c>[Output]</c> span, not a parameter of the user's): the
    /// lines that make the results array before the call, the argument that sizes it (checked against what the method
    /// returns), and what the derivative returns.
    /// </summary>
    internal sealed record Results(IReadOnlyList<string> Prologue, (string Name, string Per)? SizedBy, string Value, string Argument, string? SeedArgument = null);

    /// <summary>
    /// The call of a span derivative on results sized from <paramref name="argument"/> (a seed's length, a Jacobian's rows),
    /// so that the method need not run first to tell their count: the span derivative checks what the method returns
    /// against them (<c>AutodiffResultLengthException</c>), and the error names the argument.
    /// </summary>
    private static void CallSizedBy(CodeBlock output, DifferentiableMethod method, string call, string argument, string per)
    {
        output.Line("try");
        output.Line("{");
        output.Line("    " + call);
        output.Line("}");
        string error = new NameSet(method.Parameters.Select(p => p.Name)).Fresh("__error");
        output.Line($"catch (global::Autodiff.Generated.AutodiffResultLengthException {error})");
        output.Line("{");
        output.Line($"    throw new global::System.ArgumentException(\"'{argument}' must have {per} per result of {method.Name} (\" + {error}.Returned + \"), but has \" + {error}.Expected + \".\", \"{argument}\");");
        output.Line("}");
    }

    /// <summary>A struct of reals built from its fields, element k of <paramref name="span"/> its k-th (the result's template).</summary>
    private static string StructValue(FlatParameter result, string span)
    {
        string value = result.Template!;
        for (int k = 0; k < result.Paths.Count; k++)
        {
            value = value.Replace("{" + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", span + "[" + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
        }

        return value;
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

        /// <param name="seedType">The seed's type: the method's scalar type unless given (a vector-valued method's is a span).</param>
        /// <param name="trailing">A parameter after the derivatives, passed through (a JVP's result tangents, a Jacobian).</param>
        public void Write(CodeBlock output, MethodContext context, string head, string returnType, string suffix,
            List<(string Declaration, string Name, VarInfo Parameter)> derivatives, bool isAdjoint, string? seed,
            System.Func<IReadOnlyList<string>, IEnumerable<string>> documentation, string? seedType = null, (string Declaration, string Name)? trailing = null,
            Results? results = null, ISet<string>? outputs = null)
        {
            bool returns = returnType != "void";

            // Which derivatives the span method writes (adjoints, products) and which it reads (tangents): all of one kind
            // unless outputs names them (a Hessian-vector product reads tangents and writes products).
            bool Writes(string name) => outputs?.Contains(name) ?? isAdjoint;
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

            // One derivative of the struct's type per struct and kind (an HVP reads a tangent of it and writes a product),
            // named with its fields' derivatives' prefix (d, t, h).
            var structDerivatives = new Dictionary<(FlatParameter Struct, bool Writes), string>();
            foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => fieldOf.ContainsKey(d.Parameter.Name)))
            {
                var key = (fieldOf[parameter.Name].Struct, Writes(name));
                if (!structDerivatives.ContainsKey(key))
                {
                    structDerivatives[key] = context.Fresh((seed is not null ? "d" : name.Substring(0, 1)) + key.Struct.Name.TrimStart('@'));
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
                else if (!_companions.Contains(p.Name) && (results is null || p.Name != _method.OutputParameter))
                {
                    parameters.Add((_flat.TryGetValue(p.Name, out FlatParameter? f) ? UserType(p.Kind, f) : TypeClassifier.TypeText(p.Kind, p.Shape)) + " " + p.Name);
                }
            }

            var declarations = new List<string>();
            foreach ((string declaration, string name, VarInfo parameter) in derivatives)
            {
                if (fieldOf.TryGetValue(parameter.Name, out var field))
                {
                    if (derivatives.First(d => fieldOf.TryGetValue(d.Parameter.Name, out var first) && first.Struct == field.Struct && Writes(d.Name) == Writes(name)).Name == name)
                    {
                        declarations.Add((Writes(name) ? "out " : string.Empty) + TypeOf(field.Struct) + " " + structDerivatives[(field.Struct, Writes(name))]);
                    }
                }
                else
                {
                    declarations.Add(_flat.TryGetValue(parameter.Name, out FlatParameter? f) ? UserType(parameter.Kind, f, derivative: Writes(name) || seed is not null ? "Span" : "ReadOnlySpan") + " " + name : declaration);
                }
            }

            string all = DerivativeEmitter.Join(string.Join(", ", parameters), seed is null ? string.Empty : (seedType ?? TypeClassifier.Keyword(_method.ReturnKind)) + " " + seed,
                string.Join(", ", declarations), trailing?.Declaration ?? string.Empty);

            // The documentation names the derivatives as the signature does (a struct's once, not its fields').
            var documented = derivatives.Select(d => fieldOf.TryGetValue(d.Parameter.Name, out var f) ? structDerivatives[(f.Struct, Writes(d.Name))] : d.Name).Distinct().ToList();
            foreach (string line in documentation(documented))
            {
                output.Line(line);
            }

            DerivativeEmitter.WriteAttributes(output, context);
            using (output.Block($"{head}({all})"))
            {
                if (_method.IsStub)
                {
                    foreach (KeyValuePair<(FlatParameter Struct, bool Writes), string> adjoint in structDerivatives.Where(d => d.Key.Writes))
                    {
                        output.Line(adjoint.Value + " = default;");
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
                    packs[name] = Pack(output, context, parameter, name, copy: !Writes(name));
                    if (Writes(name))
                    {
                        written.Add((packs[name], name));
                    }
                }

                // A struct's adjoint: one local per field, then the struct built from them.
                foreach ((_, string name, VarInfo parameter) in derivatives.Where(d => fieldOf.ContainsKey(d.Parameter.Name) && Writes(d.Name)))
                {
                    output.Line($"{TypeClassifier.Keyword(parameter.Kind)} {name};");
                }

                var arguments = new List<string>();
                foreach (VarInfo p in _method.Parameters)
                {
                    if (fieldOf.TryGetValue(p.Name, out var field))
                    {
                        arguments.Add(field.Struct.Name + "." + field.Struct.Paths[field.Index]);
                    }
                    else if (results is not null && p.Name == _method.OutputParameter)
                    {
                        arguments.Add(results.Argument);
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
                        derivativeArguments.Add(Writes(name) ? "out " + name : structDerivatives[(field.Struct, false)] + "." + field.Struct.Paths[field.Index]);
                    }
                    else
                    {
                        derivativeArguments.AddRange(_flat.ContainsKey(parameter.Name)
                            ? Arguments(parameter, name, packs, companions: false)
                            : new[] { (declaration.StartsWith("out ", System.StringComparison.Ordinal) ? "out " : string.Empty) + name });
                    }
                }

                string call = $"{DerivativeEmitter.Qualified(_method, _spans.Name + suffix)}({DerivativeEmitter.Join(string.Join(", ", arguments), results?.SeedArgument ?? seed ?? string.Empty, string.Join(", ", derivativeArguments), trailing?.Name ?? string.Empty)})";
                var built = new List<string>();
                foreach (KeyValuePair<(FlatParameter Struct, bool Writes), string> s in structDerivatives.Where(d => d.Key.Writes))
                {
                    // Fields without a derivative (ints, bools) are left at their defaults.
                    string value = s.Key.Struct.Template!;
                    for (int i = 0; i < s.Key.Struct.Companions.Count; i++)
                    {
                        string? adjoint = derivatives.FirstOrDefault(d => d.Parameter.Name == s.Key.Struct.Companions[i] && Writes(d.Name)).Name;
                        value = value.Replace("{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", adjoint ?? "default");
                    }

                    built.Add($"{s.Value} = {value};");
                }

                if (packs.Count == 0 && built.Count == 0 && results is null)
                {
                    output.Line(returns ? $"return {call};" : call + ";");
                    return;
                }

                // The call (with the results made first, for a method that returns an array), then what it wrote copied
                // back, the struct adjoints built, and the value returned.
                var body = new CodeBlock();
                string? returned = null;
                if (results is { } made)
                {
                    foreach (string line in made.Prologue)
                    {
                        body.Line(line);
                    }

                    if (made.SizedBy is { } argument)
                    {
                        CallSizedBy(body, _method, call + ";", argument.Name, argument.Per);
                    }
                    else
                    {
                        body.Line(call + ";");
                    }

                    returned = made.Value;
                }
                else if (returns)
                {
                    returned = context.Fresh("__value");
                    body.Line($"{returnType} {returned} = {call};");
                }
                else
                {
                    body.Line(call + ";");
                }

                foreach ((string pack, string into) in written)
                {
                    body.Line($"{pack}.CopyTo({into});");
                }

                foreach (string line in built)
                {
                    body.Line(line);
                }

                if (returned is not null)
                {
                    body.Line($"return {returned};");
                }

                if (packs.Count == 0)
                {
                    output.Append(body);
                    return;
                }

                using (output.Block("try"))
                {
                    output.Append(body);
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

        /// <summary>The user's arguments in order (a struct by its name, a matrix or jagged array without its counts), the results left out.</summary>
        public string UserArguments()
        {
            var names = new List<string>();
            var fields = new HashSet<string>(_method.Arrays.Where(a => a.Shape == FlatShape.Struct).SelectMany(a => a.Companions));
            foreach (VarInfo p in _method.Parameters)
            {
                if (_method.Arrays.FirstOrDefault(a => a.Shape == FlatShape.Struct && a.Companions.Count > 0 && a.Companions[0] == p.Name) is { } structParameter)
                {
                    names.Add(structParameter.Name);
                }
                else if (!fields.Contains(p.Name) && !_companions.Contains(p.Name) && p.Name != _method.OutputParameter)
                {
                    names.Add(p.Name);
                }
            }

            return string.Join(", ", names);
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
