namespace Autodiff.Generator.Ir;

/// <summary>How a variable holds its values: one scalar, or indexable elements.</summary>
internal enum ShapeKind
{
    /// <summary>One value.</summary>
    Scalar,

    /// <summary><c>T[]</c> (a parameter, or a local made with <c>new T[n]</c>).</summary>
    Array,

    /// <summary><c>Span&lt;T&gt;</c> (a parameter, or a local made with <c>stackalloc T[n]</c>).</summary>
    Span,

    /// <summary><c>ReadOnlySpan&lt;T&gt;</c> parameter.</summary>
    ReadOnlySpan,
}
