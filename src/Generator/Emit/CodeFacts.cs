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
                CollectReads(value, reads);
                break;
            case DeclareCode or ClearCode or CommentCode or BlankCode:
                break;
            case IncrementCode i:
                reads.Add(i.Name);
                break;
            case AssignCode a:
                CollectReads(a.Value, reads);
                if (a.Target is ElemExpr e)
                {
                    CollectReads(e.Index, reads);
                }

                if (a.Add)
                {
                    reads.Add(a.Base);
                }

                break;
            case PushCode p:
                CollectReads(p.Value, reads);
                break;
            case AddSpanCode a:
                reads.Add(a.Target);
                reads.Add(a.Buffer);
                CollectReads(a.Length, reads);
                break;
            case ReturnCode r:
                reads.Add(r.Buffer);
                break;
            case CallCode c:
                CollectReads(c.Call, reads);
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

    public static bool Mentions(Code code, string name)
    {
        switch (code)
        {
            case IfCode i:
                return ExprReads(i.Condition).Contains(name) || Mentions(i.Then, name) || Mentions(i.Else, name);
            case WhileCode w:
                return ExprReads(w.Condition).Contains(name) || Mentions(w.Body, name);
            case CountdownCode c:
                return c.Counter == name || ExprReads(c.Count).Contains(name) || Mentions(c.Body, name);
            case BlockCode or TextCode:
                return true;
        }

        return Reads(code)!.Contains(name) || Writes(code)!.Contains(name);
    }

    /// <summary>Every name a statement reads or writes at any depth (for text, nothing is known: an empty set and <see cref="Mentions"/> is true).</summary>
    public static HashSet<string> AllNames(Code code)
    {
        var names = new HashSet<string>();
        switch (code)
        {
            case IfCode i:
                CollectReads(i.Condition, names);
                foreach (Code inner in i.Then.Items.Concat(i.Else.Items))
                {
                    names.UnionWith(AllNames(inner));
                }

                break;
            case WhileCode w:
                CollectReads(w.Condition, names);
                foreach (Code inner in w.Body.Items)
                {
                    names.UnionWith(AllNames(inner));
                }

                break;
            case CountdownCode c:
                names.Add(c.Counter);
                CollectReads(c.Count, names);
                foreach (Code inner in c.Body.Items)
                {
                    names.UnionWith(AllNames(inner));
                }

                break;
            default:
                names.UnionWith(Reads(code) ?? new HashSet<string>());
                names.UnionWith(Writes(code) ?? new HashSet<string>());
                break;
        }

        return names;
    }

    /// <summary>Every name the statements write, at any depth (a countdown's counter included).</summary>
    public static HashSet<string> AllWrites(CodeBlock block)
    {
        var writes = new HashSet<string>();
        foreach (Code code in block.Items)
        {
            switch (code)
            {
                case IfCode i:
                    writes.UnionWith(AllWrites(i.Then));
                    writes.UnionWith(AllWrites(i.Else));
                    break;
                case WhileCode w:
                    writes.UnionWith(AllWrites(w.Body));
                    break;
                case CountdownCode c:
                    writes.Add(c.Counter);
                    writes.UnionWith(AllWrites(c.Body));
                    break;
                case BlockCode b:
                    writes.UnionWith(AllWrites(b.Body));
                    break;
                default:
                    writes.UnionWith(Writes(code) ?? new HashSet<string>());
                    break;
            }
        }

        return writes;
    }

    public static HashSet<string> ExprReads(Expr expr)
    {
        var reads = new HashSet<string>();
        CollectReads(expr, reads);
        return reads;
    }

    /// <summary>Every name an expression reads: its variables and arrays, a span's buffer, a tape; not the targets of <c>out</c>.</summary>
    public static void CollectReads(Expr expr, ISet<string> reads) => ExprFacts.CollectReads(expr, reads);

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
