using System;
using System.Collections.Generic;

namespace Autodiff.Generator.Ir;

/// <summary>
/// A sequence of <see cref="Code"/> statements. Blocks nest: <see cref="Append"/> adds another block's statements,
/// which is how the reverse sweep is assembled from per-statement pieces in reverse order, and <see cref="Block"/>
/// opens a <see cref="BlockCode"/> that receives what is added until it is disposed.
/// </summary>
internal sealed class CodeBlock
{
    private readonly List<Code> _items = new();
    private readonly Stack<CodeBlock> _open = new();

    public CodeBlock()
    {
    }

    public CodeBlock(IEnumerable<Code> items) => _items.AddRange(items);

    public bool IsEmpty => _items.Count == 0;

    /// <summary>The statements (an open <see cref="Block"/>'s are inside its <see cref="BlockCode"/>).</summary>
    public IReadOnlyList<Code> Items => _items;

    private CodeBlock Target => _open.Count > 0 ? _open.Peek() : this;

    public CodeBlock Add(Code code)
    {
        Target._items.Add(code);
        return this;
    }

    /// <summary>A line of text (the parts not in the IR: the method frames and the lane method's frame).</summary>
    public CodeBlock Line(string text) => Add(new TextCode(text));

    public CodeBlock Comment(string text) => Add(new CommentCode(text));

    /// <summary>Opens a block under <paramref name="header"/>; dispose the result to close it.</summary>
    public IDisposable Block(string header)
    {
        var body = new CodeBlock();
        Add(new BlockCode(header, body));
        _open.Push(body);
        return new Closer(this);
    }

    public void Append(CodeBlock other)
    {
        foreach (Code code in other._items)
        {
            Add(code);
        }
    }

    private sealed class Closer : IDisposable
    {
        private readonly CodeBlock _block;

        public Closer(CodeBlock block) => _block = block;

        public void Dispose() => _block._open.Pop();
    }
}
