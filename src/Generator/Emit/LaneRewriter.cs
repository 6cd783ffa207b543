using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Turns one iteration of a fused accumulation loop (its forward and reverse code, already written for a scalar
/// counter) into the body of a generic lane method: every floating local becomes a vector of lanes <c>TL</c>,
/// <c>x[i + c]</c> a vector load of the lanes' elements, <c>dx[i + c] += e</c> a vector read-modify-write, and
/// <c>Math.Sqrt</c> its lane form. <see cref="LoopVectorisation"/> has checked the IR; this pass checks the text it
/// rewrites as well (every token, and that each local is assigned before it is read in the iteration), and gives
/// up, leaving the loop scalar, on anything it does not recognise. It never guesses.
/// </summary>
internal static class LaneRewriter
{
    /// <summary>The lane method's pieces: its body, the names it declares and takes, and the accesses that bound it.</summary>
    internal sealed record Lanes(
        CodeBlock Body,
        IReadOnlyList<string> Locals,
        IReadOnlyList<string> Inputs,
        IReadOnlyList<string> Outputs,
        IReadOnlyList<string> Invariants,
        IReadOnlyList<(string Array, int Offset)> Accesses,
        IReadOnlyList<Carry> Carries,
        IReadOnlyList<string> Reductions);

    /// <summary>What the updates of <see cref="Array"/> at <see cref="Lowest"/> + <see cref="Lanes"/> carry from one block to the next, in <see cref="Name"/>.</summary>
    internal sealed record Carry(string Array, int Lowest, int Lanes, string Name);

    private const string LaneType = "TL";

    private static readonly Regex Element = new(@"(?<![\w.])([A-Za-z_]\w*)\[([^\[\]]*)\]", RegexOptions.CultureInvariant);
    private static readonly Regex Token = new(@"\G\s*(?:(?<id>[A-Za-z_]\w*)|(?<num>\d+(?:\.\d+)?(?:E[+-]?\d+)?f?)|(?<op>[-+*/(),=;.]))", RegexOptions.CultureInvariant);
    private static readonly HashSet<string> LaneMembers = new(LoopVectorisation.Functions) { "Load", "AddTo" };

    /// <summary>The rewritten iteration, or null when any line is not of the forms above.</summary>
    public static Lanes? Rewrite(CodeBlock iteration, LoopVectorisation.Plan plan, string accumulator, MethodContext context)
    {
        string keyword = TypeClassifier.Keyword(context.Method.ReturnKind);
        var locals = new HashSet<string>(plan.Locals);
        foreach (string local in plan.Locals.Where(context.HasDerivative).ToList())
        {
            locals.Add(context.Derivative(local));
        }

        var readable = new HashSet<string>(plan.Accesses.Select(a => a.Array));
        var adjoints = new HashSet<string>(readable.Where(context.HasDerivative).Select(context.Derivative));
        var invariants = new HashSet<string>(plan.Invariants);
        if (context.HasDerivative(accumulator))
        {
            invariants.Add(context.Derivative(accumulator));
        }

        // adjoints of the invariants: sums over the iterations, like the accumulator (only ever added to)
        var reductions = new HashSet<string>(plan.Invariants.Where(context.HasDerivative).Select(context.Derivative));
        var temps = new HashSet<string>();
        var assigned = new HashSet<string>();
        var used = new HashSet<string>();
        var inputs = new List<string>();
        var outputs = new List<string>();
        var accesses = new List<(string Array, int Offset)>(plan.Accesses);
        var updates = new Dictionary<(string Array, int Offset), string>();
        var body = new CodeBlock();
        foreach ((int indent, string text) in CodePrinter.Lines(iteration))
        {
            string line = text.Trim();
            if (line.Length == 0 || line.StartsWith("//", System.StringComparison.Ordinal))
            {
                body.LineAt(indent, text);
                continue;
            }

            line = line.Replace("global::System.MathF.", LaneType + ".").Replace("global::System.Math.", LaneType + ".");
            string rewritten;
            string? target;
            bool readsTarget;
            Match m;
            if ((m = Regex.Match(line, @"^([A-Za-z_]\w*)\[([^\[\]]*)\] (\+=|-=) (.+);$")).Success)
            {
                // dx[i + c] += e  ->  TL.AddTo(dx, i + c, e)
                string array = m.Groups[1].Value;
                if (!adjoints.Contains(array) || Offset(m.Groups[2].Value, plan.Counter) is not int offset
                    || Loads(m.Groups[4].Value, readable, plan.Counter, inputs) is not string terms)
                {
                    return null;
                }

                if (!outputs.Contains(array))
                {
                    outputs.Add(array);
                }

                if (!accesses.Contains((array, offset)))
                {
                    accesses.Add((array, offset));
                }

                // Collected per element offset and written once at the end of the iteration (see WriteUpdates).
                string amount = m.Groups[3].Value == "+=" ? terms : $"-({terms})";
                if (updates.TryGetValue((array, offset), out string? sum))
                {
                    rewritten = $"{sum} = {sum} + ({amount});";
                }
                else
                {
                    sum = $"__add{updates.Count + 1}";
                    updates[(array, offset)] = sum;
                    temps.Add(sum);
                    rewritten = $"{LaneType} {sum} = {amount};";
                }

                target = sum;
                readsTarget = false;
            }
            else if ((m = Regex.Match(line, $@"^(?:({keyword}) )?([A-Za-z_]\w*) (=|\+=) (.+);$")).Success)
            {
                // T t = e (a temporary), v = e, v += e
                target = m.Groups[2].Value;
                bool declares = m.Groups[1].Success;
                if (declares)
                {
                    if (!target.StartsWith("__", System.StringComparison.Ordinal) || !temps.Add(target))
                    {
                        return null;
                    }
                }
                else if (!locals.Contains(target) && !temps.Contains(target) && target != accumulator
                    && !(reductions.Contains(target) && m.Groups[3].Value == "+="))
                {
                    return null;
                }

                if (Loads(m.Groups[4].Value, readable, plan.Counter, inputs) is not string value)
                {
                    return null;
                }

                readsTarget = m.Groups[3].Value == "+=";
                if (target == accumulator && !(value.StartsWith(accumulator + " + ", System.StringComparison.Ordinal)
                    || value.StartsWith(accumulator + " - ", System.StringComparison.Ordinal)))
                {
                    return null;
                }

                rewritten = (declares ? LaneType + " " : string.Empty) + $"{target} {m.Groups[3].Value} {value};";
            }
            else
            {
                return null;
            }

            // Every token known; every local read only after this iteration assigned it (nothing carried over).
            if (!Check(rewritten, target, readsTarget, accumulator, reductions, locals, temps, assigned, invariants, readable, adjoints, plan.Counter, used))
            {
                return null;
            }

            if (target is not null)
            {
                assigned.Add(target);
            }

            body.LineAt(indent, rewritten);
        }

        List<Carry> carries = WriteUpdates(body, updates, outputs, plan.Counter);
        return new Lanes(body, locals.Where(used.Contains).OrderBy(n => n, System.StringComparer.Ordinal).ToList(), inputs, outputs,
            invariants.Where(used.Contains).OrderBy(n => n, System.StringComparer.Ordinal).ToList(), accesses, carries,
            reductions.Where(used.Contains).OrderBy(n => n, System.StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Each adjoint array's block of elements is read, added to and written once per iteration: at the lowest offset c0
    /// the iteration updates, <c>dx[i + c0 .. i + c0 + lanes)</c> gets the updates at c0 as they are and those at
    /// c0 + k moved up k lanes, with the k lanes that leave the block carried into the next one. Updating
    /// <c>dx[i]</c> and then <c>dx[i + 1]</c> as two overlapping vectors instead made every load wait for the store
    /// before it (no store forwarding between overlapping vectors): the Rosenbrock gradient ran at the scalar loop's speed.
    /// </summary>
    private static List<Carry> WriteUpdates(CodeBlock body, Dictionary<(string Array, int Offset), string> updates, List<string> outputs, string counter)
    {
        var carries = new List<Carry>();
        foreach (string array in outputs)
        {
            var offsets = updates.Keys.Where(u => u.Array == array).Select(u => u.Offset).OrderBy(o => o).ToList();
            int lowest = offsets[0];
            var terms = new List<string> { updates[(array, lowest)] };
            foreach (int offset in offsets.Skip(1))
            {
                var carry = new Carry(array, lowest, offset - lowest, $"__carry{carries.Count + 1}");
                carries.Add(carry);
                terms.Add($"{LaneType}.ShiftIn({updates[(array, offset)]}, ref {carry.Name}, {carry.Lanes})");
            }

            body.LineAt(0, $"{LaneType}.AddTo({array}, {IndexText(counter, lowest)}, {string.Join(" + ", terms)});");
        }

        return carries;
    }

    /// <summary><c>v</c>, <c>v + c</c> or <c>v - c</c> (an index from the counter, or a bound from an array's length).</summary>
    internal static string IndexText(string start, int offset)
        => offset == 0 ? start : offset > 0 ? $"{start} + {offset}" : $"{start} - {-offset}";

    /// <summary>The offset of <c>i</c>, <c>i + c</c> or <c>i - c</c> from the counter (at most 7 digits), or null.</summary>
    private static int? Offset(string index, string counter)
        => IndexOffset(index.Trim()) is { } parsed && parsed.Variable == counter && parsed.Offset is > -10_000_000 and < 10_000_000
            ? parsed.Offset
            : null;

    /// <summary><c>v</c>, <c>v + 2</c>, <c>v - 1</c> (as the printer writes an index): the variable and the constant offset.</summary>
    private static (string Variable, int Offset)? IndexOffset(string index)
    {
        Match m = Regex.Match(index, @"^([A-Za-z_]\w*)(?: ([+-]) (\d{1,9}))?$");
        if (!m.Success)
        {
            return null;
        }

        int offset = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (m.Groups[1].Value, m.Groups[2].Value == "-" ? -offset : offset);
    }

    // x[i + c] -> TL.Load(x, i + c) for the arrays the body reads; null on any other element access.
    private static string? Loads(string expression, HashSet<string> readable, string counter, List<string> inputs)
    {
        bool ok = true;
        string result = Element.Replace(expression, match =>
        {
            string array = match.Groups[1].Value;
            if (!readable.Contains(array) || Offset(match.Groups[2].Value, counter) is null)
            {
                ok = false;
                return match.Value;
            }

            if (!inputs.Contains(array))
            {
                inputs.Add(array);
            }

            return $"{LaneType}.Load({array}, {match.Groups[2].Value})";
        });
        return ok ? result : null;
    }

    private static bool Check(
        string line, string? target, bool readsTarget, string accumulator, HashSet<string> reductions, HashSet<string> locals, HashSet<string> temps,
        HashSet<string> assigned, HashSet<string> invariants, HashSet<string> readable, HashSet<string> adjoints, string counter,
        HashSet<string> used)
    {
        int position = 0;
        bool expectDot = false, expectMember = false, first = true;
        int accumulatorReads = 0;
        while (position < line.Length)
        {
            Match m = Token.Match(line, position);
            if (!m.Success || m.Length == 0)
            {
                return false;
            }

            position += m.Length;
            string op = m.Groups["op"].Value;
            if (expectDot)
            {
                // TL.Member
                if (op != ".")
                {
                    return false;
                }

                (expectDot, expectMember) = (false, true);
                continue;
            }

            if (!m.Groups["id"].Success)
            {
                if (expectMember || op == ".")
                {
                    return false;
                }

                first = false;
                continue;
            }

            string id = m.Groups["id"].Value;
            if (expectMember)
            {
                if (!LaneMembers.Contains(id))
                {
                    return false;
                }

                expectMember = false;
                continue;
            }

            if (id == LaneType)
            {
                // the type of a temporary declared at the start of the line, else TL.Member
                bool declaration = first && line.StartsWith(LaneType + " ", System.StringComparison.Ordinal);
                expectDot = !declaration;
                first = declaration;
                continue;
            }

            bool isTarget = first && id == target;
            first = false;
            used.Add(id);
            if (id == accumulator)
            {
                accumulatorReads++;
                continue;
            }

            if (reductions.Contains(id))
            {
                // d += e, and no other read of d
                if (!(isTarget && readsTarget))
                {
                    return false;
                }

                continue;
            }

            if (isTarget && !readsTarget)
            {
                continue;
            }

            bool known = (locals.Contains(id) || temps.Contains(id)) ? assigned.Contains(id)
                : invariants.Contains(id) || readable.Contains(id) || adjoints.Contains(id) || id == counter;
            if (!known)
            {
                return false;
            }
        }

        if (expectDot || expectMember)
        {
            return false;
        }

        // the accumulator appears only in its own "s = s ± e" (as target and first operand)
        return accumulatorReads == 0 || (target == accumulator && accumulatorReads == 2);
    }
}
