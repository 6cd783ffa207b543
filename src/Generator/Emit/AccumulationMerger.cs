using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// A pass over the derivative IR: in a run of simple statements, the updates <c>X += a;</c> ... <c>X += b;</c> become
/// one <c>X += a + b;</c>, placed just before the first later statement that reads or writes <c>X</c> (its variable or
/// array) or writes what the update reads (its index, its terms), or before the next compound statement. Adjoint
/// updates are additions, so only reads of <c>X</c> and changes of its inputs order them; this turns the chain of
/// dependent read-modify-writes of <c>dx[i]</c> from several statements into one. An adjoint variable known to be zero
/// (set to zero earlier in the same block, or before the <c>if</c> whose branch this is, not written since) gets its
/// first update as an assignment (<c>X = a + b;</c>), so that it does not depend on its value in the previous loop
/// iteration. What a statement reads and writes comes from its expressions (<see cref="CodeFacts"/>), never from text.
/// </summary>
internal static class AccumulationMerger
{
    private sealed class Pending
    {
        public Pending(Expr target, Expr term, HashSet<string> names, bool overwrite)
            => (Target, Terms, Names, Overwrite) = (target, new List<Expr> { term }, names, overwrite);

        public Expr Target { get; }

        public string Base => AssignCode.BaseOf(Target);

        public List<Expr> Terms { get; }

        /// <summary>What the update reads: its target's variable and index, and its terms.</summary>
        public HashSet<string> Names { get; }

        public bool Overwrite { get; }
    }

    public static CodeBlock Merge(CodeBlock block) => Merge(block, new HashSet<string>());

    /// <param name="zero">The adjoint variables known to be zero where the block starts.</param>
    private static CodeBlock Merge(CodeBlock block, HashSet<string> zero)
    {
        var output = new CodeBlock();
        var pending = new List<Pending>();

        void Flush(System.Func<Pending, bool> which)
        {
            foreach (Pending item in InMemoryOrder(pending.Where(which).ToList()))
            {
                output.Add(new AssignCode(item.Target, JoinTerms(item.Terms), Add: !item.Overwrite));
                pending.Remove(item);
            }
        }

        // Comments wait for the next statement, so that flushed updates land above the comment of the next statement.
        var comments = new List<Code>();
        void EmitComments()
        {
            foreach (Code comment in comments)
            {
                output.Add(comment);
            }

            comments.Clear();
        }

        foreach (Code code in block.Items)
        {
            switch (code)
            {
                case CommentCode or BlankCode:
                    comments.Add(code);
                    continue;

                case AssignCode { Add: true, Note: null, Target: VarExpr or ElemExpr, Target.Kind: ScalarKind.Double or ScalarKind.Float } update:
                {
                    EmitComments();
                    HashSet<string> termNames = ExprFacts.Reads(update.Value);

                    // A term that reads an adjoint we hold back gets it written first.
                    Flush(p => !p.Target.Equals(update.Target) && termNames.Contains(p.Base));
                    Pending? existing = pending.FirstOrDefault(p => p.Target.Equals(update.Target));
                    if (existing is not null)
                    {
                        existing.Terms.Add(update.Value);
                        existing.Names.UnionWith(termNames);
                    }
                    else
                    {
                        // Updates of different targets commute (they are additions), even when they may alias.
                        HashSet<string> inputs = ExprFacts.Reads(update.Target);
                        inputs.UnionWith(termNames);
                        pending.Add(new Pending(update.Target, update.Value, inputs, update.Target is VarExpr v && zero.Remove(v.Name)));
                    }

                    continue;
                }
            }

            if (CodeFacts.Reads(code) is not { } reads || CodeFacts.Writes(code) is not { } written)
            {
                // A compound statement: everything pending is written before it; each branch of an if starts from what
                // was zero at the if (one of them runs, straight from there); any other block (a loop body, which runs
                // again after its own writes) and the code after the statement start from nothing.
                Flush(_ => true);
                EmitComments();
                output.Add(code switch
                {
                    IfCode i => i with { Then = Merge(i.Then, new HashSet<string>(zero)), Else = Merge(i.Else, new HashSet<string>(zero)) },
                    WhileCode w => w with { Body = Merge(w.Body, new HashSet<string>()) },
                    CountdownCode c => c with { Body = Merge(c.Body, new HashSet<string>()) },
                    BlockCode b => b with { Body = Merge(b.Body, new HashSet<string>()) },
                    _ => code,
                });
                zero.Clear();
                continue;
            }

            // Flush an update before any use of its adjoint, and before any write to what it reads.
            reads.UnionWith(written);
            Flush(p => reads.Contains(p.Base) || p.Names.Overlaps(written));
            zero.ExceptWith(written);
            if (IsZeroAssignment(code) is { } cleared)
            {
                zero.Add(cleared);
            }

            EmitComments();
            output.Add(code);
        }

        Flush(_ => true);
        EmitComments();
        return WithoutDeadZeros(output);
    }

    /// <summary>
    /// Drops <c>X = 0;</c> when, in the same run of simple statements, the next statement that mentions <c>X</c>
    /// overwrites it without reading it (<c>X = a;</c>, which the merge above makes of a first update). In a
    /// straight-line gradient the adjoints are <c>out</c> parameters, so the zero was a store through a reference the
    /// JIT keeps: two extra stores per call in Rosenbrock at N = 2. The overwrite is on every path from the zero (no
    /// branch in between), so definite assignment still holds.
    /// </summary>
    private static CodeBlock WithoutDeadZeros(CodeBlock block)
    {
        IReadOnlyList<Code> items = block.Items;
        var dead = new HashSet<int>();
        for (int i = 0; i < items.Count; i++)
        {
            if (IsZeroAssignment(items[i]) is not { } name)
            {
                continue;
            }

            for (int j = i + 1; j < items.Count; j++)
            {
                Code next = items[j];
                if (next is CommentCode or BlankCode)
                {
                    continue;
                }

                if (CodeFacts.Reads(next) is not { } reads || CodeFacts.Writes(next) is not { } writes)
                {
                    break;
                }

                if (!reads.Contains(name) && !writes.Contains(name))
                {
                    continue;
                }

                if (next is AssignCode { Add: false, Target: VarExpr v } && v.Name == name && !reads.Contains(name))
                {
                    dead.Add(i);
                }

                break;
            }
        }

        return dead.Count == 0 ? block : new CodeBlock(items.Where((_, i) => !dead.Contains(i)));
    }

    /// <summary><c>name = 0;</c> (a floating zero): the name, else null.</summary>
    private static string? IsZeroAssignment(Code code)
        => code is AssignCode { Add: false, Note: null, Target: VarExpr v, Value: ConstExpr { Text: "0.0" or "0.0f" } } ? v.Name : null;

    /// <summary>
    /// Updates flushed together commute, so they may go in any order: updates of one array at constant offsets
    /// of one index (<c>dx[i + 1]</c>, <c>dx[i]</c>) are written in ascending address order, at the place of the
    /// first of them. A loop that writes <c>dx[i + 1]</c> and then reads <c>dx[i]</c>, which the previous iteration
    /// wrote, ran about 20% slower than the same loop with the two updates swapped (Rosenbrock, measured).
    /// </summary>
    private static List<Pending> InMemoryOrder(List<Pending> items)
    {
        if (items.Count < 2)
        {
            return items;
        }

        var keyed = items.Select((item, position) => (Item: item, Position: position, Index: ConstantOffset(item.Target))).ToList();
        var first = new Dictionary<(string, string), int>();
        foreach (var k in keyed)
        {
            if (k.Index is { } index && !first.ContainsKey(index.Group))
            {
                first[index.Group] = k.Position;
            }
        }

        return keyed
            .OrderBy(k => k.Index is { } index ? first[index.Group] : k.Position)
            .ThenBy(k => k.Index?.Offset ?? 0)
            .Select(k => k.Item)
            .ToList();
    }

    /// <summary><c>a[v]</c>, <c>a[v + 2]</c>, <c>a[v - 1]</c>: the array and index variable, and the offset.</summary>
    private static ((string Array, string Variable) Group, int Offset)? ConstantOffset(Expr target)
        => target is ElemExpr e && IndexOffset(e.Index) is { } index ? ((e.Array, index.Variable), index.Offset) : null;

    /// <summary><c>v</c>, <c>v + 2</c>, <c>v - 1</c>: the variable and the constant offset.</summary>
    internal static (string Variable, int Offset)? IndexOffset(Expr index)
    {
        switch (index)
        {
            case VarExpr v:
                return (v.Name, 0);
            case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract, Left: VarExpr v, Right: ConstExpr c } b
                when int.TryParse(c.Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int offset):
                return (v.Name, b.Op == BinaryOp.Subtract ? -offset : offset);
            default:
                return null;
        }
    }

    /// <summary>
    /// <c>-e</c>, as it will be summed: a product or quotient takes the minus on its first factor (<c>-a * b</c> is
    /// <c>(-a) * b</c>, exactly <c>-(a * b)</c>, and a leading literal folds it: <c>-2.0 * (g * x)</c>); anything else
    /// is negated whole.
    /// </summary>
    internal static Expr Negate(Expr term)
    {
        if (term is BinaryExpr { Op: BinaryOp.Multiply or BinaryOp.Divide } product && !IsNegated(product, out _))
        {
            return product with { Left = Negate(product.Left) };
        }

        return term switch
        {
            ConstExpr c when !c.Text.StartsWith("-", System.StringComparison.Ordinal) => c with { Text = "-" + c.Text },
            _ => new UnaryExpr(term.Kind, UnaryOp.Negate, term),
        };
    }

    /// <summary>Whether the term's leading factor carries a minus (a negation, or a negative literal: <paramref name="literal"/>).</summary>
    private static bool IsNegated(Expr term, out bool literal)
    {
        literal = false;
        while (term is BinaryExpr { Op: BinaryOp.Multiply or BinaryOp.Divide } product)
        {
            term = product.Left;
        }

        if (term is ConstExpr c && c.Text.StartsWith("-", System.StringComparison.Ordinal))
        {
            literal = true;
            return true;
        }

        return term is UnaryExpr { Op: UnaryOp.Negate };
    }

    /// <summary>The term without the minus <see cref="IsNegated"/> found.</summary>
    private static Expr WithoutMinus(Expr term) => term switch
    {
        BinaryExpr { Op: BinaryOp.Multiply or BinaryOp.Divide } product => product with { Left = WithoutMinus(product.Left) },
        ConstExpr c => c with { Text = c.Text.Substring(1) },
        UnaryExpr u => u.Operand,
        _ => term,
    };

    /// <summary>
    /// Signed terms summed left to right: <c>a + -b</c> is written <c>a - b</c>. When the first term is negated
    /// and the second is not (or is a negated literal product, whose minus is free), the two change places:
    /// <c>-__g3 + t</c> becomes <c>t - __g3</c> with no sign flip. Addition of two terms commutes exactly, so the
    /// sum is unchanged.
    /// </summary>
    internal static Expr JoinTerms(IReadOnlyList<Expr> terms)
    {
        var ordered = terms.ToList();
        if (ordered.Count >= 2 && IsNegated(ordered[0], out bool free0) && !free0 && (!IsNegated(ordered[1], out bool free1) || free1))
        {
            (ordered[0], ordered[1]) = (ordered[1], ordered[0]);
        }

        Expr sum = ordered[0];
        foreach (Expr term in ordered.Skip(1))
        {
            sum = IsNegated(term, out _)
                ? new BinaryExpr(sum.Kind, BinaryOp.Subtract, sum, WithoutMinus(term))
                : new BinaryExpr(sum.Kind, BinaryOp.Add, sum, term);
        }

        return sum;
    }
}
