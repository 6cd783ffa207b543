using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Peephole over generated straight-line code: consecutive <c>X += a;</c> ... <c>X += b;</c> become one
/// <c>X += a + b;</c> placed just before the first later line that mentions any identifier of <c>X</c> (its
/// array, its index variables), or before the next block boundary. Adjoint updates are additions, so only
/// reads of <c>X</c> and changes of its index order them; this turns the chain of dependent read-modify-writes
/// of <c>dx[i]</c> from several statements into one. An adjoint variable known to be zero (assigned <c>0.0</c>
/// earlier in the same block, or before the <c>if</c> whose branch this is, not written since) gets its first update
/// as an assignment (<c>X = a + b;</c>), so that it does not depend on its value in the previous loop iteration.
/// </summary>
internal static class AccumulationMerger
{
    public static CodeBlock Merge(CodeBlock block)
    {
        var output = new CodeBlock();
        // Base: the adjoint variable or array; Inputs: identifiers of its index and its terms.
        var pending = new List<(string Target, int Indent, List<string> Terms, HashSet<string> Names, bool Overwrite)>();
        var zero = new HashSet<string>();
        var branches = new BranchZeros();

        void Flush(System.Func<(string Target, int Indent, List<string> Terms, HashSet<string> Names, bool Overwrite), bool> which)
        {
            foreach (var item in InMemoryOrder(pending.Where(which).ToList(), p => p.Target))
            {
                output.LineAt(item.Indent, $"{item.Target} {(item.Overwrite ? "=" : "+=")} {JoinTerms(item.Terms)};");
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

        foreach ((int indent, string text) in CodePrinter.Lines(block))
        {
            string trimmed = text.Trim();
            if (trimmed.StartsWith("//", System.StringComparison.Ordinal) || trimmed.Length == 0)
            {
                comments.Add((indent, text));
                continue;
            }

            bool isAccumulation = TryAccumulation(trimmed, out string target, out string terms);
            bool barrier = IsBarrier(trimmed);
            if (barrier || (pending.Count > 0 && pending[0].Indent != indent))
            {
                Flush(_ => true);
                branches.Enter(trimmed, zero);
            }

            if (!barrier && isAccumulation)
            {
                EmitComments();
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
                HashSet<string> written = Written(trimmed);
                Flush(p => mentioned.Contains(Base(p.Target)) || p.Names.Overlaps(written));
                zero.ExceptWith(written);
                if (trimmed.EndsWith(":", System.StringComparison.Ordinal))
                {
                    // A label (or a switch case) can be reached from elsewhere.
                    zero.Clear();
                }

                if (IsZeroAssignment(trimmed, out string cleared))
                {
                    zero.Add(cleared);
                }
            }

            EmitComments();
            output.LineAt(indent, text);
        }

        Flush(_ => true);
        EmitComments();
        return WithoutDeadZeros(output);
    }

    /// <summary>
    /// Drops <c>X = 0.0;</c> when, in the same straight run of lines (no block boundary, branch, loop or return in
    /// between), the next line that mentions <c>X</c> overwrites it without reading it (<c>X = a;</c>, which the
    /// merge above makes of a first update). In a straight-line gradient the adjoints are <c>out</c> parameters, so
    /// the zero was a store through a reference the JIT keeps: two extra stores per call in Rosenbrock at N = 2.
    /// The overwrite is on every path from the zero (no branch in between), so definite assignment still holds.
    /// </summary>
    private static CodeBlock WithoutDeadZeros(CodeBlock block)
    {
        IReadOnlyList<(int Indent, string Text)> lines = CodePrinter.Lines(block);
        var dead = new HashSet<int>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (!IsZeroAssignment(lines[i].Text.Trim(), out string name))
            {
                continue;
            }

            for (int j = i + 1; j < lines.Count; j++)
            {
                string line = lines[j].Text.Trim();
                if (line.Length == 0 || line.StartsWith("//", System.StringComparison.Ordinal))
                {
                    continue;
                }

                if (lines[j].Indent != lines[i].Indent || IsBarrier(line) || line.EndsWith(":", System.StringComparison.Ordinal))
                {
                    break;
                }

                if (!Mentions(line, name))
                {
                    continue;
                }

                // X = a; with a not reading X (and not X == ..., X += ...).
                string rest = line.Substring(name.Length);
                if (line.StartsWith(name, System.StringComparison.Ordinal) && rest.StartsWith(" = ", System.StringComparison.Ordinal)
                    && !Mentions(rest.Substring(3), name))
                {
                    dead.Add(i);
                }

                break;
            }
        }

        if (dead.Count == 0)
        {
            return block;
        }

        var output = new CodeBlock();
        for (int i = 0; i < lines.Count; i++)
        {
            if (!dead.Contains(i))
            {
                output.LineAt(lines[i].Indent, lines[i].Text);
            }
        }

        return output;
    }

    /// <summary>
    /// What is known zero across a block boundary. Each branch of an <c>if</c> / <c>else</c> starts from what was
    /// zero at the <c>if</c> (one of them runs, straight from there); any other block (a loop body, which runs again
    /// after its own writes), the code after a closed block, and every other boundary start from nothing. So the
    /// first update of an adjoint zeroed before a branch is an assignment in each branch: Piecewise's per-element
    /// adjoint, zeroed before its three branches, was added to 0.0 in each (1.12x the hand-derived gradient).
    /// </summary>
    private sealed class BranchZeros
    {
        // The known-zero set at the entry of each open block (null: nothing known, not an if / else branch).
        private readonly Stack<HashSet<string>?> _open = new();
        private HashSet<string>? _atHeader;   // at the last if / else header, for the block it opens
        private HashSet<string>? _lastClosed; // at the entry of the block just closed, for an else after it

        /// <summary>Updates <paramref name="zero"/> at the boundary line <paramref name="trimmed"/> (after the pending updates were flushed).</summary>
        public void Enter(string trimmed, HashSet<string> zero)
        {
            HashSet<string>? header = _atHeader;
            _atHeader = null;
            if (trimmed == "{")
            {
                _open.Push(header);
                zero.Clear();
                if (header is not null)
                {
                    zero.UnionWith(header);
                }

                return;
            }

            HashSet<string>? closed = _lastClosed;
            _lastClosed = null;
            if (trimmed == "}")
            {
                _lastClosed = _open.Count > 0 ? _open.Pop() : null;
            }
            else if (trimmed == "else")
            {
                _atHeader = closed;
            }
            else if (trimmed.StartsWith("if (", System.StringComparison.Ordinal) && trimmed[trimmed.Length - 1] == ')')
            {
                // The condition is evaluated first: what it writes is no longer known zero.
                _atHeader = new HashSet<string>(zero);
                _atHeader.ExceptWith(Written(trimmed));
            }

            zero.Clear();
        }
    }

    /// <summary>A line that control can enter or leave by other than falling through: a block boundary, branch, loop or jump.</summary>
    private static bool IsBarrier(string trimmed) => trimmed is "{" or "}" or "else" or "do" or "break;" or "continue;"
        || trimmed.StartsWith("if ", System.StringComparison.Ordinal) || trimmed.StartsWith("for ", System.StringComparison.Ordinal)
        || trimmed.StartsWith("foreach ", System.StringComparison.Ordinal) || trimmed.StartsWith("while ", System.StringComparison.Ordinal)
        || trimmed.StartsWith("return", System.StringComparison.Ordinal) || trimmed.StartsWith("goto ", System.StringComparison.Ordinal)
        || trimmed.StartsWith("throw", System.StringComparison.Ordinal) || trimmed.StartsWith("switch", System.StringComparison.Ordinal);

    /// <summary>
    /// Updates flushed together commute, so they may go in any order: updates of one array at constant offsets
    /// of one index (<c>dx[i + 1]</c>, <c>dx[i]</c>) are written in ascending address order, at the place of the
    /// first of them. A loop that writes <c>dx[i + 1]</c> and then reads <c>dx[i]</c>, which the previous iteration
    /// wrote, ran about 20% slower than the same loop with the two updates swapped (Rosenbrock, measured).
    /// </summary>
    private static List<T> InMemoryOrder<T>(List<T> items, System.Func<T, string> target)
    {
        if (items.Count < 2)
        {
            return items;
        }

        var keyed = items.Select((item, position) => (Item: item, Position: position, Index: ConstantOffset(target(item)))).ToList();
        var first = new Dictionary<string, int>();
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
    private static (string Group, int Offset)? ConstantOffset(string target)
    {
        int open = target.IndexOf('[');
        if (open < 0 || target[target.Length - 1] != ']')
        {
            return null;
        }

        return IndexOffset(target.Substring(open + 1, target.Length - open - 2)) is { } index
            ? (target.Substring(0, open) + "[" + index.Variable, index.Offset)
            : null;
    }

    /// <summary><c>v</c>, <c>v + 2</c>, <c>v - 1</c> (as the printer writes an index): the variable and the constant offset.</summary>
    internal static (string Variable, int Offset)? IndexOffset(string index)
    {
        int end = index.Length > 0 && IsStart(index[0]) ? IdentifierEnd(index, 0) : -1;
        if (end < 0)
        {
            return null;
        }

        string variable = index.Substring(0, end);
        string rest = index.Substring(end);
        if (rest.Length == 0)
        {
            return (variable, 0);
        }

        if (rest.Length > 3 && rest[0] == ' ' && rest[1] is '+' or '-' && rest[2] == ' '
            && int.TryParse(rest.Substring(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int offset))
        {
            return (variable, rest[1] == '-' ? -offset : offset);
        }

        return null;
    }

    private static string Base(string target)
    {
        int bracket = target.IndexOf('[');
        return bracket < 0 ? target : target.Substring(0, bracket);
    }

    // A hand-written scanner rather than regular expressions: this runs on every generated line, and with four
    // regular expressions the merge was about a third of the emit time (same output either way).

    /// <summary>Whether <paramref name="text"/> has <paramref name="name"/> as a whole identifier.</summary>
    internal static bool Mentions(string text, string name) => text.Contains(name) && Names(text).Contains(name);

    /// <summary>Every identifier in <paramref name="text"/> (conservatively also words inside literals, and the <c>f</c> of <c>1.0f</c>).</summary>
    private static HashSet<string> Names(string text)
    {
        var names = new HashSet<string>();
        for (int i = 0; i < text.Length;)
        {
            if (IsStart(text[i]))
            {
                int end = IdentifierEnd(text, i);
                names.Add(text.Substring(i, end - i));
                i = end;
            }
            else
            {
                i++;
            }
        }

        return names;
    }

    /// <summary>
    /// Identifiers a line writes: <c>x = ...</c>, <c>x[i] = ...</c>, <c>x op= ...</c>, <c>x++</c>, <c>x--</c>,
    /// <c>out T x</c>, <c>out x</c>, <c>x.Clear(</c>.
    /// </summary>
    private static HashSet<string> Written(string text)
    {
        var written = new HashSet<string>();
        for (int i = 0; i < text.Length;)
        {
            if (!IsStart(text[i]))
            {
                i++;
                continue;
            }

            int end = IdentifierEnd(text, i);
            string name = text.Substring(i, end - i);
            i = end;
            int after = end;
            if (after < text.Length && text[after] == '[')
            {
                int close = text.IndexOf(']', after);
                after = close < 0 ? after : close + 1;
            }

            if (IsAssignmentOperator(text, SkipSpaces(text, after)))
            {
                written.Add(name);
            }
            else if (string.CompareOrdinal(text, end, ".Clear(", 0, 7) == 0)
            {
                written.Add(name);
            }
            else if (name == "out" && OutTarget(text, end) is { } target)
            {
                written.Add(target.Name);
                i = target.End;
            }
        }

        return written;
    }

    // out T name or out name: the declared or assigned name, and where it ends.
    private static (string Name, int End)? OutTarget(string text, int position)
    {
        int start = SkipSpaces(text, position);
        if (start == position || start >= text.Length || !IsStart(text[start]))
        {
            return null;
        }

        // A type: letters, digits, '_', '.', '<', '>' then spaces, then the name.
        int typeEnd = start;
        while (typeEnd < text.Length && (IsPart(text[typeEnd]) || text[typeEnd] is '.' or '<' or '>'))
        {
            typeEnd++;
        }

        int nameStart = SkipSpaces(text, typeEnd);
        if (nameStart > typeEnd && nameStart < text.Length && IsStart(text[nameStart]))
        {
            int nameEnd = IdentifierEnd(text, nameStart);
            return (text.Substring(nameStart, nameEnd - nameStart), nameEnd);
        }

        int end = IdentifierEnd(text, start);
        return (text.Substring(start, end - start), end);
    }

    /// <summary><c>target += terms;</c> with a plain or once-indexed target (<c>dx</c>, <c>dx[i + 1]</c>).</summary>
    internal static bool TryAccumulation(string line, out string target, out string terms)
    {
        target = terms = string.Empty;
        if (line.Length == 0 || line[0] == '@' || !IsStart(line[0]) || line[line.Length - 1] != ';')
        {
            return false;
        }

        int end = IdentifierEnd(line, 0);
        if (end < line.Length && line[end] == '[')
        {
            int close = line.IndexOf(']', end);
            if (close < 0)
            {
                return false;
            }

            end = close + 1;
        }

        if (string.CompareOrdinal(line, end, " += ", 0, 4) != 0)
        {
            return false;
        }

        target = line.Substring(0, end);
        terms = line.Substring(end + 4, line.Length - end - 5);
        return true;
    }

    /// <summary><c>name = 0.0;</c> or <c>name = 0.0f;</c>.</summary>
    private static bool IsZeroAssignment(string line, out string name)
    {
        name = string.Empty;
        if (line.Length == 0 || line[0] == '@' || !IsStart(line[0]))
        {
            return false;
        }

        int end = IdentifierEnd(line, 0);
        string rest = line.Substring(end);
        if (rest is not (" = 0.0;" or " = 0.0f;"))
        {
            return false;
        }

        name = line.Substring(0, end);
        return true;
    }

    // =, but not ==; ++, --; +=, -=, *=, /=, %=.
    private static bool IsAssignmentOperator(string text, int i)
    {
        if (i >= text.Length)
        {
            return false;
        }

        char c = text[i];
        char next = i + 1 < text.Length ? text[i + 1] : '\0';
        return (c == '=' && next != '=') || (c == '+' && next == '+') || (c == '-' && next == '-') || (c is '+' or '-' or '*' or '/' or '%' && next == '=');
    }

    private static int SkipSpaces(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int IdentifierEnd(string text, int start)
    {
        int i = start + 1;
        while (i < text.Length && IsPart(text[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsStart(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_' or '@';

    private static bool IsPart(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_';

    /// <summary>
    /// <c>-text</c>, as it will be summed: a product or quotient takes the minus in front (<c>-a * b</c> is
    /// <c>(-a) * b</c>, exactly <c>-(a * b)</c>, and a leading literal folds it: <c>-2.0 * (g * x)</c>); anything
    /// else is parenthesised first.
    /// </summary>
    internal static string Negate(string text) => "-" + (IsProduct(text) ? text : ExprPrinter.Paren(text));

    /// <summary>
    /// Signed terms summed left to right: <c>a + -b</c> is written <c>a - b</c>. When the first term is negated
    /// and the second is not (or is a negated literal product, whose minus is free), the two change places:
    /// <c>-__g3 + t</c> becomes <c>t - __g3</c> with no sign flip. Addition of two terms commutes exactly, so the
    /// sum is unchanged.
    /// </summary>
    internal static string JoinTerms(IReadOnlyList<string> terms)
    {
        var ordered = terms.ToList();
        if (ordered.Count >= 2 && IsNegated(ordered[0]) && !FreeSign(ordered[0]) && (!IsNegated(ordered[1]) || FreeSign(ordered[1])))
        {
            (ordered[0], ordered[1]) = (ordered[1], ordered[0]);
        }

        var text = new System.Text.StringBuilder(ordered[0]);
        foreach (string term in ordered.Skip(1))
        {
            text.Append(IsNegated(term) ? " - " + term.Substring(1) : " + " + term);
        }

        return text.ToString();

        static bool IsNegated(string term) => term.Length > 1 && term[0] == '-';
        static bool FreeSign(string term) => char.IsDigit(term[1]);
    }

    /// <summary>Atoms joined by top-level <c>*</c> and <c>/</c> only (no leading sign, no other operator).</summary>
    private static bool IsProduct(string text)
    {
        if (text.Length == 0 || text[0] == '-')
        {
            return false;
        }

        int depth = 0;
        foreach (char c in text)
        {
            depth += c is '(' or '[' ? 1 : c is ')' or ']' ? -1 : 0;
            if (depth == 0 && !(char.IsLetterOrDigit(c) || c is '_' or '.' or ':' or ' ' or '*' or '/' or '(' or ')' or ']'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Terms are joined by <see cref="JoinTerms"/>: one with a top-level + or - gets parentheses.</summary>
    internal static string Protect(string term)
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
