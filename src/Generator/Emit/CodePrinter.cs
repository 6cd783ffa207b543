using System;
using System.Collections.Generic;
using System.Text;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>The one printer of the derivative IR: <see cref="Code"/> statements as lines of C#, four spaces per level.</summary>
internal static class CodePrinter
{
    public static void WriteTo(CodeBlock block, StringBuilder builder, int indent)
    {
        foreach ((int level, string text) in Lines(block))
        {
            if (text.Length > 0)
            {
                builder.Append(' ', 4 * (indent + level)).Append(text);
            }

            builder.Append('\n');
        }
    }

    /// <summary>The lines of <paramref name="block"/> with their relative indentation.</summary>
    private static List<(int Indent, string Text)> Lines(CodeBlock block)
    {
        var lines = new List<(int, string)>();
        Write(block, 0, lines);
        return lines;
    }

    private static void Write(CodeBlock block, int indent, List<(int, string)> lines)
    {
        // A comment that repeats the one above it with only simple statements between is left out: the statements a
        // primal statement becomes (its tangent and its values first, in second-order code) read under one comment.
        string? comment = null;
        foreach (Code code in block.Items)
        {
            // x = x; does nothing, and is CS1717 (an error with TreatWarningsAsErrors): the tangent of a++ is ta = ta.
            if (code is AssignCode { Add: false } self && self.Target.Equals(self.Value))
            {
                continue;
            }

            if (code is CommentCode c)
            {
                if (c.Text == comment)
                {
                    continue;
                }

                comment = c.Text;
            }
            else if (Statement(code) is null)
            {
                comment = null;
            }

            Write(code, indent, lines);
        }
    }

    private static void Write(Code code, int indent, List<(int, string)> lines)
    {
        switch (code)
        {
            case TextCode t:
                lines.Add((indent, t.Text));
                break;
            case BlankCode:
                lines.Add((indent, string.Empty));
                break;
            case CommentCode c:
                lines.Add((indent, "// " + c.Text));
                break;
            default:
                if (Statement(code) is { } line)
                {
                    lines.Add((indent, line));
                    break;
                }

                WriteCompound(code, indent, lines);
                break;
        }
    }

    /// <summary>A simple statement on one line, or null for a compound one.</summary>
    private static string? Statement(Code code) => code switch
    {
        DeclareCode d => d.Value is null ? $"{d.Type} {d.Name};" : $"{d.Type} {d.Name} = {ExprPrinter.Print(d.Value)};",
        AssignCode a => $"{ExprPrinter.Print(a.Target)} {(a.Add ? "+=" : "=")} {ExprPrinter.Print(a.Value)};" + (a.Note is null ? string.Empty : "   // " + a.Note),
        PushCode p => $"{p.Tape}.Push({ExprPrinter.Print(p.Value)});",
        CallCode c => ExprPrinter.Print(c.Call) + ";",
        ClearCode c => c.Span + ".Clear();",
        IncrementCode i => i.Name + "++;",
        AddSpanCode a => $"{TypeRefs.Helpers}.AddTo({a.Target}, {(a.Scale is null ? string.Empty : ExprPrinter.Print(a.Scale) + ", ")}{ExprPrinter.Print(new SpanExpr(a.Kind, a.Buffer, a.Length, ReadOnly: true))});",
        ReturnCode r => (r.IfRented ? $"if ({r.Buffer} is not null) " : string.Empty) + $"{MethodContext.Pool}<{TypeClassifier.Keyword(r.Kind)}>.Shared.Return({r.Buffer});",
        _ => null,
    };

    private static void WriteCompound(Code code, int indent, List<(int, string)> lines)
    {
        switch (code)
        {
            case IfCode i:
                Braced($"if ({ExprPrinter.Print(i.Condition)})", i.Then, indent, lines);
                IfCode branch = i;
                // An else that is only another if reads as else if.
                while (!branch.ForceElse && branch.Else.Items.Count == 1 && branch.Else.Items[0] is IfCode next)
                {
                    Braced($"else if ({ExprPrinter.Print(next.Condition)})", next.Then, indent, lines);
                    branch = next;
                }

                if (!branch.Else.IsEmpty || branch.ForceElse)
                {
                    Braced("else", branch.Else, indent, lines);
                }

                break;
            case WhileCode w when w.TestAtEnd:
                Braced("do", w.Body, indent, lines);
                lines.Add((indent, $"while ({ExprPrinter.Print(w.Condition)});"));
                break;
            case WhileCode w:
                Braced($"while ({ExprPrinter.Print(w.Condition)})", w.Body, indent, lines);
                break;
            case CountdownCode c:
                Braced($"for (int {c.Counter} = {ExprPrinter.Print(c.Count)}; {c.Counter} > 0; {c.Counter}--)", c.Body, indent, lines);
                break;
            case BlockCode b:
                Braced(b.Header, b.Body, indent, lines);
                break;
            default:
                throw new InvalidOperationException("Unknown statement " + code.GetType().Name);
        }
    }

    private static void Braced(string header, CodeBlock body, int indent, List<(int, string)> lines)
    {
        lines.Add((indent, header));
        lines.Add((indent, "{"));
        Write(body, indent + 1, lines);
        lines.Add((indent, "}"));
    }
}
