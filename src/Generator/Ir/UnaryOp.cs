namespace Autodiff.Generator.Ir;

/// <summary>Unary operators of the IR.</summary>
internal enum UnaryOp
{
    Negate,
    Plus,
    Not,
}
