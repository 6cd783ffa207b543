namespace Autodiff.Generator.Ir;

/// <summary>Where a variable of the IR comes from.</summary>
internal enum VarRole
{
    /// <summary>A parameter of the method.</summary>
    Parameter,

    /// <summary>A local of the method (renamed when two scopes reuse a name).</summary>
    Local,

    /// <summary>A variable the lowering introduced (result, control flags, hidden loop indices).</summary>
    Synthetic,
}
