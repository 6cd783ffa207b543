using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Peephole over generated straight-line code: consecutive <c>X += a;</c> ... <c>X += b;</c> become one
/// <c>X += a + b;</c> placed just before the first later line that mentions any identifier of <c>X</c> (its
/// array, its index variables), or before the next block boundary. Adjoint updates are additions, so only
/// reads of <c>X</c> and changes of its index order them; this turns the chain of dependent read-modify-writes
/// of <c>dx[i]</c> from several statements into one. An adjoint variable known to be zero (assigned <c>0.0</c>
/// earlier in the same block, not written since) gets its first update as an assignment (<c>X = a + b;</c>), so
/// that it does not depend on its value in the previous loop iteration.
/// </summary>
internal static class AccumulationMerger
{
    private static readonly Regex Accumulation = new(@"^(?<target>[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?) \+= (?<terms>.*);$", RegexOptions.Compiled);
    private static readonly Regex ZeroAssignment = new(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*) = 0\.0f?;$", RegexOptions.Compiled);
    private static readonly Regex Identifier = new(@"[A-Za-z_@][A-Za-z0-9_]*", RegexOptions.Compiled);

    // Identifiers a line writes: x = ..., x[i] = ..., x op= ..., x++, x--, out T x, x.Clear().
    private static readonly Regex Written = new(@"(?<name>[A-Za-z_@][A-Za-z0-9_]*)(\[[^\]]*\])?\s*(=(?!=)|\+\+|--|[-+*/%]=)|out\s+(?:[A-Za-z_][\w.<>]*\s+)?(?<name>[A-Za-z_@][A-Za-z0-9_]*)|(?<name>[A-Za-z_@][A-Za-z0-9_]*)\.Clear\(", RegexOptions.Compiled);

    public static CodeBlock Merge(CodeBlock block)
    {
        var output = new CodeBlock();
        // Base: the adjoint variable or array; Inputs: identifiers of its index and its terms.
        var pending = new List<(string Target, int Indent, List<string> Terms, HashSet<string> Names, bool Overwrite)>();
        var zero = new HashSet<string>();

        void Flush(System.Func<(string Target, int Indent, List<string> Terms, HashSet<string> Names, bool Overwrite), bool> which)
        {
            foreach (var item in pending.Where(which).ToList())
            {
                output.LineAt(item.Indent, $"{item.Target} {(item.Overwrite ? "=" : "+=")} {string.Join(" + ", item.Terms)};");
                pending.Remove(item);
            }
        }

        // Comments wait for the next line, so that flushed updates land above the comment of the next statement.
        var comments = new List<(int Indent, string Text)>();
        void EmitComments()
        {
            foreach ((int commentIndent, string comment) in comments)
            {
                output.LineAt(commentIndent, comment);
            }

            comments.Clear();
        }

        foreach ((int indent, string text) in block.Lines)
        {
            string trimmed = text.Trim();
            if (trimmed.StartsWith("//", System.StringComparison.Ordinal) || trimmed.Length == 0)
            {
                comments.Add((indent, text));
                continue;
            }

            Match match = Accumulation.Match(trimmed);
            bool barrier = trimmed is "{" or "}" || trimmed.StartsWith("if ", System.StringComparison.Ordinal) || trimmed == "else"
                || trimmed.StartsWith("for ", System.StringComparison.Ordinal) || trimmed.StartsWith("while ", System.StringComparison.Ordinal)
                || trimmed == "do" || trimmed.StartsWith("return", System.StringComparison.Ordinal);
            if (barrier || (pending.Count > 0 && pending[0].Indent != indent))
            {
                Flush(_ => true);
                zero.Clear();
            }

            if (!barrier && match.Success)
            {
                EmitComments();
                string target = match.Groups["target"].Value;
                string terms = match.Groups["terms"].Value;
                HashSet<string> termNames = Names(terms);

                // A term that reads an adjoint we hold back gets it written first.
                Flush(p => p.Target != target && termNames.Contains(Base(p.Target)));
                int existing = pending.FindIndex(p => p.Target == target);
                if (existing >= 0)
                {
                    pending[existing].Terms.Add(Protect(terms));
                    pending[existing].Names.UnionWith(termNames);
                }
                else
                {
                    // Updates of different targets commute (they are additions), even when they may alias.
                    HashSet<string> inputs = Names(target);
                    inputs.UnionWith(termNames);
                    pending.Add((target, indent, new List<string> { Protect(terms) }, inputs, zero.Remove(target)));
                }

                continue;
            }

            if (!barrier)
            {
                // Flush an update before any use of its adjoint, and before any write to what it reads.
                HashSet<string> mentioned = Names(trimmed);
                HashSet<string> written = new(Written.Matches(trimmed).Cast<Match>().Select(m => m.Groups["name"].Value));
                Flush(p => mentioned.Contains(Base(p.Target)) || p.Names.Overlaps(written));
                zero.ExceptWith(written);
                if (ZeroAssignment.Match(trimmed) is { Success: true } cleared)
                {
                    zero.Add(cleared.Groups["name"].Value);
                }
            }

            EmitComments();
            output.LineAt(indent, text);
        }

        Flush(_ => true);
        EmitComments();
        return output;
    }

    private static string Base(string target)
    {
        int bracket = target.IndexOf('[');
        return bracket < 0 ? target : target.Substring(0, bracket);
    }

    private static HashSet<string> Names(string text) => new(Identifier.Matches(text).Cast<Match>().Select(m => m.Value));

    // Terms are joined with " + ": one with a top-level + or - gets parentheses.
    private static string Protect(string term)
    {
        int depth = 0;
        for (int i = 1; i < term.Length - 1; i++)
        {
            char c = term[i];
            depth += c is '(' or '[' ? 1 : c is ')' or ']' ? -1 : 0;
            if (depth == 0 && (c == '+' || c == '-') && term[i - 1] == ' ' && term[i + 1] == ' ')
            {
                return "(" + term + ")";
            }
        }

        return term;
    }
}
