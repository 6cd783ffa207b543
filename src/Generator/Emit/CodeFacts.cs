using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>What a statement of the derivative IR reads and writes (variables and arrays by name), from its expressions.</summary>
internal static class CodeFacts
{
    /// <summary>Names whose values a simple statement reads (null for a compound one, or text the IR does not know).</summary>
    public static HashSet<string>? Reads(Code code)
    {
        var reads = new HashSet<string>();
        switch (code)
        {
            case DeclareCode { Value: { } value }:
                ExprFacts.CollectReads(value, reads);
                break;
            case DeclareCode or ClearCode or CommentCode or BlankCode:
                break;
            case IncrementCode i:
                reads.Add(i.Name);
                break;
            case AssignCode a:
                ExprFacts.CollectReads(a.Value, reads);
                if (a.Target is ElemExpr e)
                {
                    ExprFacts.CollectReads(e.Index, reads);
                }

                if (a.Add)
                {
                    reads.Add(a.Base);
                }

                break;
            case PushCode p:
                ExprFacts.CollectReads(p.Value, reads);
                break;
            case AddSpanCode a:
                reads.Add(a.Target);
                reads.Add(a.Buffer);
                ExprFacts.CollectReads(a.Length, reads);
                if (a.Scale is not null)
                {
                    ExprFacts.CollectReads(a.Scale, reads);
                }

                break;
            case ReturnCode r:
                reads.Add(r.Buffer);
                break;
            case CallCode c:
                ExprFacts.CollectReads(c.Call, reads);
                break;
            default:
                return null;
        }

        return reads;
    }

    /// <summary>Names a simple statement writes (null for a compound one, or text the IR does not know).</summary>
    public static HashSet<string>? Writes(Code code)
    {
        var writes = new HashSet<string>();
        switch (code)
        {
            case DeclareCode d:
                writes.Add(d.Name);
                break;
            case AssignCode a:
                writes.Add(a.Base);
                break;
            case ClearCode c:
                writes.Add(c.Span);
                break;
            case IncrementCode i:
                writes.Add(i.Name);
                break;
            case CallCode c:
                CollectOutputs(c.Call, writes);
                break;
            case AddSpanCode a:
                writes.Add(a.Target);
                break;
            case PushCode or ReturnCode or CommentCode or BlankCode:
                break;
            default:
                return null;
        }

        return writes;
    }

    /// <summary>Whether any statement in <paramref name="block"/> (at any depth, comments aside) reads or writes <paramref name="name"/>; text counts as mentioning everything.</summary>
    public static bool Mentions(CodeBlock block, string name) => block.Items.Any(code => Mentions(code, name));

    public static bool Mentions(Code code, string name) => Nested(code).Any(c => c is BlockCode or TextCode) || AllNames(code).Contains(name);

    /// <summary>Every name a statement reads or writes at any depth (for text, nothing is known: nothing is added, and <see cref="Mentions"/> is true).</summary>
    public static HashSet<string> AllNames(Code code) => new(Nested(code).SelectMany(OwnNames));

    /// <summary>Every name the statements write, at any depth (a countdown's counter included).</summary>
    public static HashSet<string> AllWrites(CodeBlock block)
        => new(block.Items.SelectMany(Nested).SelectMany(c => c is CountdownCode countdown ? new[] { countdown.Counter } : Writes(c) ?? Enumerable.Empty<string>()));

    /// <summary>The statement and every statement inside it, in order.</summary>
    private static IEnumerable<Code> Nested(Code code)
    {
        IEnumerable<CodeBlock> bodies = code switch
        {
            IfCode i => new[] { i.Then, i.Else },
            WhileCode w => new[] { w.Body },
            CountdownCode c => new[] { c.Body },
            BlockCode b => new[] { b.Body },
            _ => Enumerable.Empty<CodeBlock>(),
        };
        return new[] { code }.Concat(bodies.SelectMany(b => b.Items).SelectMany(Nested));
    }

    /// <summary>What a statement itself names: a simple one's reads and writes, a compound one's condition (and counter).</summary>
    private static IEnumerable<string> OwnNames(Code code) => code switch
    {
        IfCode i => ExprFacts.Reads(i.Condition),
        WhileCode w => ExprFacts.Reads(w.Condition),
        CountdownCode c => ExprFacts.Reads(c.Count).Append(c.Counter),
        _ => (Reads(code) ?? Enumerable.Empty<string>()).Concat(Writes(code) ?? Enumerable.Empty<string>()),
    };

    private static void CollectOutputs(Expr expr, ISet<string> writes)
    {
        switch (expr)
        {
            case OutExpr o:
                writes.Add(o.Name);
                break;
            case RefExpr r:
                writes.Add(r.Name);
                break;
            case SpanExpr s:
                // A span argument of a call may be written through (a VJP's array adjoints).
                writes.Add(s.Buffer);
                break;
            case InvokeExpr i:
                foreach (Expr arg in i.Args)
                {
                    CollectOutputs(arg, writes);
                }

                break;
        }
    }
}
