using System.Collections.Generic;
using System.Globalization;

namespace Autodiff.Generator.Helpers;

/// <summary>Hands out identifiers that are unique within one generated method.</summary>
internal sealed class NameSet
{
    private readonly HashSet<string> _used = new();

    public NameSet()
    {
    }

    public NameSet(IEnumerable<string> taken) => _used.UnionWith(taken);

    /// <summary>Marks a name as taken and returns it (parameters keep their names; a keyword such as <c>@class</c> keeps its <c>@</c>).</summary>
    public string Reserve(string name)
    {
        _used.Add(name);
        return IsKeyword(name) ? "@" + name : name;
    }

    /// <summary>Returns <paramref name="candidate"/>, or <c>candidate_2</c>, <c>candidate_3</c>... if it is taken.</summary>
    public string Fresh(string candidate)
    {
        // "d" + "o" is "do": generated names never collide with C# keywords.
        if (IsKeyword(candidate))
        {
            candidate += "_";
        }

        if (_used.Add(candidate))
        {
            return candidate;
        }

        for (int i = 2; ; i++)
        {
            string name = candidate + "_" + i.ToString(CultureInfo.InvariantCulture);
            if (_used.Add(name))
            {
                return name;
            }
        }
    }

    public bool Contains(string name) => _used.Contains(name);

    private static bool IsKeyword(string name)
        => Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None
           || Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetContextualKeywordKind(name) is Microsoft.CodeAnalysis.CSharp.SyntaxKind.VarKeyword;
}
