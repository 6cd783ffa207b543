using System.Collections.Generic;
using Autodiff.Generator.Model;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Where the derivative code of one statement goes: <see cref="Pre"/> holds temps for intermediate primal
/// values (computed once, before the chain rule uses them), <see cref="Body"/> the derivative updates. A
/// conditional expression opens a child scope per branch, so a temp of the untaken branch is never evaluated.
/// </summary>
internal sealed class ValueScope
{
    private readonly Dictionary<Expr, string> _values = new();
    private readonly CodeBlock _pre = new();

    public ValueScope(ValueScope? parent, bool inline = false, CodeBlock? hoistedDeclarations = null)
    {
        Parent = parent;
        Inline = inline || (parent?.Inline ?? false);
        HoistedDeclarations = hoistedDeclarations;
    }

    /// <summary>
    /// When set, temps are declared there (at the top of the method) and only assigned in <see cref="Pre"/>, so
    /// that the forward sweep can compute them once and the reverse sweep reuse them.
    /// </summary>
    public CodeBlock? HoistedDeclarations { get; }

    /// <summary>The pre-computed temps on their own (for the forward sweep when they are hoisted).</summary>
    public CodeBlock OwnPre => _pre;

    public ValueScope? Parent { get; }

    /// <summary>Print values inline instead of making temps (inside a conditional expression of forward mode).</summary>
    public bool Inline { get; }

    /// <summary>Temps; an inline scope hands them to its parent (they are pure, so computing them early is safe).</summary>
    public CodeBlock Pre => Inline && Parent is not null ? Parent.Pre : _pre;

    public CodeBlock Body { get; } = new();

    public string? Lookup(Expr node)
    {
        for (ValueScope? scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._values.TryGetValue(node, out string? name))
            {
                return name;
            }
        }

        return null;
    }

    public void Remember(Expr node, string name) => _values[node] = name;

    /// <summary>Pre then Body, as one block.</summary>
    public CodeBlock Flatten()
    {
        var block = new CodeBlock();
        block.Append(_pre);
        block.Append(Body);
        return block;
    }
}
