using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// The differentiable values of a method as one flat vector (scalars one each, arrays their elements, in parameter
/// order): what a Hessian's and a Jacobian's rows and columns are. Writes the offsets, per-parameter vectors over
/// pooled buffers, unit vectors and the copy of a vector into a matrix row, for the text frames of
/// <c>FHessian</c> and <c>FJacobian</c>.
/// </summary>
internal sealed class FlatValues
{
    private readonly List<VarInfo> _parameters;
    private readonly List<string> _offsets = new();
    private readonly List<(string Buffer, string Keyword)> _buffers = new();
    private readonly NameSet _names;

    /// <summary>Declares <c>int __at{p} = ...</c> per parameter and <c>int {size} = n</c>.</summary>
    public FlatValues(CodeBlock output, IEnumerable<VarInfo> differentiable, NameSet names, out string size)
    {
        _parameters = differentiable.ToList();
        _names = names;
        string end = "0";
        foreach (VarInfo parameter in _parameters)
        {
            string offset = names.Fresh("__at" + parameter.Name.TrimStart('@'));
            output.Line($"int {offset} = {end};");
            _offsets.Add(offset);
            end = parameter.Shape == ShapeKind.Scalar ? $"{offset} + 1" : $"{offset} + {parameter.Name}.Length";
        }

        size = names.Fresh("__n");
        output.Line($"int {size} = {end};");
    }

    /// <summary>
    /// One variable per parameter, of its type: a scalar, or a span of its length over a pooled buffer (cleared when
    /// <paramref name="clear"/>). Returns their names, in parameter order.
    /// </summary>
    /// <param name="keyword">The element type when it is not the parameter's (the lane type of a lane JVP's tangents).</param>
    public List<string> Declare(CodeBlock output, IReadOnlyList<string> names, bool clear, string? keyword = null)
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            VarInfo parameter = _parameters[i];
            string type = keyword ?? TypeClassifier.Keyword(parameter.Kind);
            if (parameter.Shape == ShapeKind.Scalar)
            {
                output.Line($"{type} {names[i]};");
                continue;
            }

            string buffer = _names.Fresh("__" + names[i]);
            _buffers.Add((buffer, type));
            output.Line($"{type}[] {buffer} = {Pool(type)}.Rent({parameter.Name}.Length);");
            output.Line($"global::System.Span<{type}> {names[i]} = new global::System.Span<{type}>({buffer}, 0, {parameter.Name}.Length);");
            if (clear)
            {
                output.Line($"{names[i]}.Clear();");
            }
        }

        return names.ToList();
    }

    /// <summary>A pooled span of <paramref name="length"/> of the given type, given back by <see cref="ReturnBuffers"/>.</summary>
    public void DeclareSpan(CodeBlock output, string keyword, string name, string length, bool clear)
    {
        string buffer = _names.Fresh("__" + name);
        _buffers.Add((buffer, keyword));
        output.Line($"{keyword}[] {buffer} = {Pool(keyword)}.Rent({length});");
        output.Line($"global::System.Span<{keyword}> {name} = new global::System.Span<{keyword}>({buffer}, 0, {length});");
        if (clear)
        {
            output.Line($"{name}.Clear();");
        }
    }

    /// <summary>Sets the vectors <paramref name="vectors"/> (from <see cref="Declare"/>, cleared) to the unit vector eⱼ.</summary>
    public void SetUnit(CodeBlock output, IReadOnlyList<string> vectors, string j)
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            VarInfo parameter = _parameters[i];
            output.Line(parameter.Shape == ShapeKind.Scalar
                ? $"{vectors[i]} = {j} == {_offsets[i]} ? {Literal.Number(1, parameter.Kind)} : {Literal.Number(0, parameter.Kind)};"
                : $"if ({j} >= {_offsets[i]} && {j} < {_offsets[i]} + {parameter.Name}.Length) {vectors[i]}[{j} - {_offsets[i]}] = {Literal.Number(1, parameter.Kind)};");
        }
    }

    /// <summary>Clears the array entry <see cref="SetUnit"/> set (the scalars are set anew each time).</summary>
    public void ClearUnit(CodeBlock output, IReadOnlyList<string> vectors, string j)
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            VarInfo parameter = _parameters[i];
            if (parameter.Shape != ShapeKind.Scalar)
            {
                output.Line($"if ({j} >= {_offsets[i]} && {j} < {_offsets[i]} + {parameter.Name}.Length) {vectors[i]}[{j} - {_offsets[i]}] = {Literal.Number(0, parameter.Kind)};");
            }
        }
    }

    /// <summary>
    /// Sets lane vectors (from <see cref="Declare"/> with the lane type, cleared) to the unit vectors eⱼ₀ .. eⱼ₀₊ₗ₋₁, one
    /// per lane: value j₀ + k gets one in lane k.
    /// </summary>
    public void SetLanes(CodeBlock output, IReadOnlyList<string> vectors, string start, string lanes, string laneType)
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            VarInfo parameter = _parameters[i];
            if (parameter.Shape == ShapeKind.Scalar)
            {
                output.Line($"{vectors[i]} = (uint)({_offsets[i]} - {start}) < (uint){lanes} ? {laneType}.Unit({_offsets[i]} - {start}) : default;");
                continue;
            }

            string k = _names.Fresh("__k");
            (string first, string end) = LaneRange(parameter, i, start, lanes);
            output.Line($"for (int {k} = {first}; {k} < {end}; {k}++) {vectors[i]}[{k}] = {laneType}.Unit({_offsets[i]} + {k} - {start});");
        }
    }

    /// <summary>Clears the array entries <see cref="SetLanes"/> set (the scalars are set anew each time).</summary>
    public void ClearLanes(CodeBlock output, IReadOnlyList<string> vectors, string start, string lanes)
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            VarInfo parameter = _parameters[i];
            if (parameter.Shape != ShapeKind.Scalar)
            {
                string k = _names.Fresh("__k");
                (string first, string end) = LaneRange(parameter, i, start, lanes);
                output.Line($"for (int {k} = {first}; {k} < {end}; {k}++) {vectors[i]}[{k}] = default;");
            }
        }
    }

    // The elements of an array parameter whose flat index is in [start, start + lanes): first, and one past the last.
    private (string First, string End) LaneRange(VarInfo parameter, int index, string start, string lanes)
    {
        string offset = _offsets[index];
        return ($"global::System.Math.Max(0, {start} - {offset})", $"global::System.Math.Min({parameter.Name}.Length, {start} + {lanes} - {offset})");
    }

    /// <summary>Writes the vectors into row <paramref name="row"/> of <paramref name="matrix"/>, cast to <paramref name="kind"/> where a parameter's type differs.</summary>
    public void CopyToRow(CodeBlock output, IReadOnlyList<string> vectors, string matrix, string row, ScalarKind kind)
    {
        string k = _names.Fresh("__k");
        for (int i = 0; i < _parameters.Count; i++)
        {
            VarInfo parameter = _parameters[i];
            string cast = parameter.Kind == kind ? string.Empty : "(" + TypeClassifier.Keyword(kind) + ")";
            output.Line(parameter.Shape == ShapeKind.Scalar
                ? $"{matrix}[{row}, {_offsets[i]}] = {cast}{vectors[i]};"
                : $"for (int {k} = 0; {k} < {parameter.Name}.Length; {k}++) {matrix}[{row}, {_offsets[i]} + {k}] = {cast}{vectors[i]}[{k}];");
        }
    }

    /// <summary>The arguments that receive the vectors (from <see cref="Declare"/>): <c>out v</c> for a scalar, the span for an array.</summary>
    public string OutArguments(IReadOnlyList<string> vectors)
        => string.Join(", ", _parameters.Select((p, i) => (p.Shape == ShapeKind.Scalar ? "out " : string.Empty) + vectors[i]));

    /// <summary>How many pooled buffers are held (a mark for <see cref="ReturnBuffers"/>).</summary>
    public int BufferCount => _buffers.Count;

    /// <summary>Gives back the pooled buffers taken since <paramref name="since"/> (all by default).</summary>
    public void ReturnBuffers(CodeBlock output, int since = 0)
    {
        foreach ((string buffer, string keyword) in _buffers.Skip(since))
        {
            output.Line($"{Pool(keyword)}.Return({buffer});");
        }

        _buffers.RemoveRange(since, _buffers.Count - since);
    }

    private static string Pool(string keyword) => $"{MethodContext.Pool}<{keyword}>.Shared";
}
