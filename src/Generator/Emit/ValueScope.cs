using System.Collections.Generic;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Where the derivative code of one statement goes: <see cref="Pre"/> holds temps for intermediate primal
/// values (computed once, before the chain rule uses them), <see cref="Body"/> the derivative updates. A
/// conditional expression opens a child scope per branch, so a temp of the untaken branch is never evaluated.
/// </summary>
internal sealed class ValueScope
{
    private readonly Dictionary<Expr, Expr> _values = new();
    private readonly CodeBlock _pre = new();
    private readonly Dictionary<Expr, List<Expr>> _accumulations = new();
    private readonly List<Expr> _accumulationOrder = new();

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

    /// <summary>What holds the value of <paramref name="node"/> here (a temp), or null.</summary>
    public Expr? Lookup(Expr node)
    {
        for (ValueScope? scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._values.TryGetValue(node, out Expr? value))
            {
                return value;
            }
        }

        return null;
    }

    public void Remember(Expr node, Expr value) => _values[node] = value;

    /// <summary>The expression with the nodes already held in temps of this scope replaced by them.</summary>
    public Expr Known(Expr expr) => Emit.Build.Substitute(expr, Lookup);

    /// <summary>
    /// Adds <paramref name="term"/> to the adjoint <paramref name="target"/>. Terms for the same target are summed
    /// and written once (<see cref="FlushAccumulations"/>): one read-modify-write of <c>dx[i]</c> instead of several
    /// dependent ones.
    /// </summary>
    public void Accumulate(Expr target, Expr term)
    {
        if (!_accumulations.TryGetValue(target, out List<Expr>? terms))
        {
            terms = new List<Expr>();
            _accumulations[target] = terms;
            _accumulationOrder.Add(target);
        }

        terms.Add(term);
    }

    /// <summary>Writes the pending accumulations to <see cref="Body"/>, in first-use order.</summary>
    public void FlushAccumulations()
    {
        foreach (Expr target in _accumulationOrder)
        {
            Body.Add(new AssignCode(target, AccumulationMerger.JoinTerms(_accumulations[target]), Add: true));
        }

        _accumulations.Clear();
        _accumulationOrder.Clear();
    }

    /// <summary>Pre then Body (accumulations flushed), as one block.</summary>
    public CodeBlock Flatten()
    {
        FlushAccumulations();
        var block = new CodeBlock();
        block.Append(_pre);
        block.Append(Body);
        return block;
    }
}
