namespace Autodiff.Generator.Ir;

/// <summary>Binary operators of the IR.</summary>
internal enum BinaryOp
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
    ConditionalAnd,
    ConditionalOr,
    And,
    Or,
    Xor,
    LeftShift,
    RightShift,
}
