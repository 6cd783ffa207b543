namespace Autodiff.Generator.Ir;

/// <summary>
/// What the compilation offers for vector loops (from its references and language version, flowing through the
/// pipeline as a value so that it only changes when those do).
/// </summary>
/// <param name="Lanes">
/// <c>System.Runtime.Intrinsics.Vector512</c> is referenced (.NET 8 or later) and the language has static abstract
/// interface members (C# 11), so the lane types compile and generated loops may use them.
/// </param>
/// <param name="Net9Math"><c>Vector512.Exp</c>, <c>Log</c> and <c>FusedMultiplyAdd</c> exist (.NET 9 or later).</param>
/// <param name="Referenced">A referenced assembly visible to this one already has the lane types (not added again).</param>
/// <param name="SkipLocalsInit">
/// The project allows unsafe code and has <c>SkipLocalsInitAttribute</c> (.NET 5 or later), so generated methods carry
/// it (the attribute needs <c>AllowUnsafeBlocks</c>). Nothing generated reads memory it did not write: locals are
/// definitely assigned in C#, and local arrays are pooled and cleared explicitly, never <c>stackalloc</c>'d.
/// </param>
internal readonly record struct VectorSupport(bool Lanes, bool Net9Math, bool Referenced = false, bool SkipLocalsInit = false)
{
    /// <summary>No vector loops (scalar code only), e.g. for netstandard targets.</summary>
    public static VectorSupport None => default;
}
