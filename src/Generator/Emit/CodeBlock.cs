using System;
using System.Collections.Generic;
using System.Text;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Lines of C# with relative indentation. Blocks nest (<see cref="Append"/>), which is how the reverse sweep
/// is assembled from per-statement pieces in reverse order.
/// </summary>
internal sealed class CodeBlock
{
    private readonly List<(int Indent, string Text)> _lines = new();
    private int _indent;

    public bool IsEmpty => _lines.Count == 0;

    /// <summary>The lines with their relative indentation.</summary>
    public IReadOnlyList<(int Indent, string Text)> Lines => _lines;

    /// <summary>Adds a line at an absolute relative indentation (used by rewriting passes).</summary>
    public CodeBlock LineAt(int indent, string text)
    {
        _lines.Add((indent, text));
        return this;
    }

    public CodeBlock Line(string text)
    {
        _lines.Add((_indent, text));
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; dispose the result to close it.</summary>
    public IDisposable Block(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Closer(this);
    }

    public void Append(CodeBlock other)
    {
        foreach ((int indent, string text) in other._lines)
        {
            _lines.Add((_indent + indent, text));
        }
    }

    public void WriteTo(StringBuilder builder, int indent)
    {
        foreach ((int level, string text) in _lines)
        {
            if (text.Length > 0)
            {
                builder.Append(' ', 4 * (indent + level)).Append(text);
            }

            builder.Append('\n');
        }
    }

    private sealed class Closer : IDisposable
    {
        private readonly CodeBlock _block;

        public Closer(CodeBlock block) => _block = block;

        public void Dispose()
        {
            _block._indent--;
            _block.Line("}");
        }
    }
}
