using System;

namespace Autodiff.Data;

/// <summary>A data file that cannot be read as its format says: names the file, the line (or offset) and what is wrong.</summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="source"/> at <paramref name="line"/> (0 when not line-based).</summary>
    public DataFormatException(string source, long line, string problem)
        : base(line > 0 ? $"{source}, line {line}: {problem}" : $"{source}: {problem}")
    {
        Source = source;
        Line = line;
        Problem = problem;
    }

    /// <summary>The file (or resource) that is wrong.</summary>
    public new string Source { get; }

    /// <summary>1-based line number, or 0.</summary>
    public long Line { get; }

    /// <summary>What is wrong, in words.</summary>
    public string Problem { get; }
}
