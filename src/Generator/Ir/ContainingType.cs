namespace Autodiff.Generator.Ir;

/// <summary>A type that encloses the method, outermost first: keyword (<c>class</c>, <c>struct</c>, <c>record</c>, ...) and name.</summary>
internal sealed record ContainingType(string Keyword, string Name);
