using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Expressions: constants, variables, element reads, operators, conversions, conditionals.
internal sealed partial class MethodParser
{
    /// <summary>Parses an expression and converts it to <paramref name="kind"/> (the conversions Roslyn made implicit are explicit in the IR).</summary>
    private Expr? ParseValue(IOperation operation, ScalarKind kind)
        => ParseExpr(operation) is { } expr ? ConvertTo(expr, kind) : null;

    private Expr? ParseExpr(IOperation operation)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (operation.ConstantValue.HasValue && TypeClassifier.TryScalar(operation.Type, out ScalarKind constantKind))
        {
            return new ConstExpr(constantKind, Literal.Of(operation.ConstantValue.Value, constantKind));
        }

        if (ReportNestedDerivative(operation))
        {
            return null;
        }

        Expr? nested = ParseNestedCall(operation, out bool isNested);
        if (isNested)
        {
            return nested;
        }

        switch (operation)
        {
            case ILocalReferenceOperation { Local: var local } when _variables.TryGetValue(local, out VarInfo? info) && !info.IsIndexable:
                return new VarExpr(info.Kind, info.Name);

            case IParameterReferenceOperation { Parameter: var parameter } when _variables.TryGetValue(parameter, out VarInfo? info) && !info.IsIndexable:
                return new VarExpr(info.Kind, info.Name);

            case IArrayElementReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: true }:
                return ParseElement(operation);

            case IPropertyReferenceOperation { Property.Name: "Length", Instance: { } instance } when StructArrayLength(instance) is not null || JaggedOf(instance) is not null || IsPartialView(instance) || IndexableOf(instance) is not null:
                return ParseLength(instance);

            case IPropertyReferenceOperation { Property: { IsStatic: true } property } when TypeClassifier.TryScalar(property.Type, out ScalarKind kind):
                return new OpaqueExpr(kind, property.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + property.Name);

            case IFieldReferenceOperation { Field: { IsStatic: true } field } when TypeClassifier.TryScalar(field.Type, out ScalarKind kind):
                return new OpaqueExpr(kind, field.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + field.Name);

            case IMemberReferenceOperation { Instance: ILocalReferenceOperation { Local: var reported } } when _reported.Contains(reported):
                // A member of a local already reported (var j = GJvp(...); j.Value): no second diagnostic.
                return null;

            case IFieldReferenceOperation or IPropertyReferenceOperation when ParseStructMember(operation, out bool isMember) is var member && isMember:
                return member;

            case IFieldReferenceOperation or IPropertyReferenceOperation or IInstanceReferenceOperation:
                return Unsupported(operation, "instance fields and properties", "differentiable methods are static: pass the value as a parameter");

            case IUnaryOperation unary:
                return ParseUnary(unary);

            case IBinaryOperation binary:
                return ParseBinary(binary);

            case IConditionalOperation { WhenFalse: { } whenFalse } conditional when TypeClassifier.TryScalar(conditional.Type, out ScalarKind kind):
                Expr? guarded = ParseThrowingConditional(conditional, kind, out bool throws);
                if (throws)
                {
                    return guarded;
                }

                return ParseValue(conditional.Condition, ScalarKind.Bool) is { } c && ParseConditionally(conditional.WhenTrue, kind) is { } t && ParseConditionally(whenFalse, kind) is { } f
                    ? new CondExpr(kind, c, t, f)
                    : null;

            case IThrowOperation:
                return Unsupported(operation, "throw expressions here", "throw from a conditional's branch, c ? value : throw ..., or from an if statement");

            case ISwitchExpressionOperation switchExpression when TypeClassifier.TryScalar(switchExpression.Type, out ScalarKind kind):
                return ParseSwitchExpression(switchExpression, kind);

            case IIsPatternOperation isPattern:
                return ParseIsPattern(isPattern);

            case IConversionOperation conversion:
                return ParseConversion(conversion);

            case IInvocationOperation invocation:
                return ParseInvocation(invocation);

            case IParenthesizedOperation parenthesized:
                return ParseExpr(parenthesized.Operand);

            case ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation or IDeconstructionAssignmentOperation:
                Report(DiagnosticDescriptors.EmbeddedAssignment, operation.Syntax.GetLocation(), CommentOf(operation.Syntax));
                return null;

            case IAnonymousFunctionOperation or IDelegateCreationOperation:
                return Unsupported(operation, "lambdas and delegates", "write the function as a [Differentiable] static method and call it");

            case ITranslatedQueryOperation:
                return Unsupported(operation, "LINQ queries", "write the loop out with for or foreach");

            case ILocalReferenceOperation { Local: var reported } when _reported.Contains(reported):
                return null;

            case ILocalReferenceOperation or IParameterReferenceOperation:
                return Unsupported(operation, "array values here", "index the array, take its Length, or pass it straight to a differentiable call");

            case IObjectCreationOperation or IArrayCreationOperation:
                return Unsupported(operation, "object and array creations inside expressions", "create local arrays in their own declaration");

            default:
                if (operation.Type is { } type && !TypeClassifier.TryClassify(type, out _, out _))
                {
                    Report(DiagnosticDescriptors.UnsupportedType, operation.Syntax.GetLocation(), CommentOf(operation.Syntax), type.ToDisplayString(),
                        "compute with double, float, int, long or bool");
                    return null;
                }

                return Unsupported(operation, "expressions like this one", "rewrite it with arithmetic, Math calls and locals");
        }
    }

    /// <summary>
    /// <c>v switch { p₁ => e₁, p₂ when g => e₂, _ => eₙ }</c> as the conditional chain <c>m₁ ? e₁ : m₂ &amp;&amp; g ? e₂ : eₙ</c>,
    /// each pattern a comparison of <c>v</c>: constants, relational patterns (<c>&lt; 0</c>), <c>and</c>, <c>or</c>,
    /// <c>not</c>. The last arm must be a discard, so that some arm always matches (C# would throw), and <c>v</c>
    /// must be free of calls, since each test reads it again.
    /// </summary>
    private Expr? ParseSwitchExpression(ISwitchExpressionOperation operation, ScalarKind kind)
    {
        if (operation.Arms.Length == 0 || operation.Arms[operation.Arms.Length - 1] is not { Pattern: IDiscardPatternOperation, Guard: null })
        {
            return Unsupported(operation, "switch expressions without a final discard arm", "end it with `_ => ...`, so that an arm always matches");
        }

        if (ParseTestedValue(operation.Value, "switches on", "switch on") is not { } value)
        {
            return null;
        }

        // The arms' tests, first to last (the discard's is true); an arm that throws becomes a guard before the
        // statement, "no earlier arm matched and this one does", and drops out of the chain.
        var arms = new List<(Expr Test, IOperation Value)>();
        Expr? earlier = null;
        foreach (ISwitchExpressionArmOperation arm in operation.Arms)
        {
            Expr? test = arm.Pattern is IDiscardPatternOperation && arm.Guard is null ? new ConstExpr(ScalarKind.Bool, "true") : Guarded(ParsePattern(arm.Pattern, value), arm.Guard);
            if (test is null)
            {
                return null;
            }

            if (Unconverted(arm.Value) is IThrowOperation thrown)
            {
                Expr matches = earlier is null ? test : new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalAnd, new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, earlier), test);
                if (!ThrowGuard(thrown, matches))
                {
                    return null;
                }
            }
            else
            {
                arms.Add((test, arm.Value));
            }

            earlier = earlier is null ? test : new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalOr, earlier, test);
        }

        if (arms.Count == 0)
        {
            return Unsupported(operation, "switch expressions whose arms all throw", "throw from an if statement");
        }

        // Where no arm that is left matches, an arm that throws did: the last one left stands for it.
        Expr? result = ParseConditionally(arms[arms.Count - 1].Value, kind);
        for (int i = arms.Count - 2; i >= 0 && result is not null; i--)
        {
            Expr? armValue = ParseConditionally(arms[i].Value, kind);
            result = armValue is not null ? new CondExpr(kind, arms[i].Test, armValue, result) : null;
        }

        return result;
    }

    /// <summary><c>v is &lt; 0 or &gt; 1</c>: the same tests as a switch arm (<c>v</c> read once per test, so free of user calls).</summary>
    private Expr? ParseIsPattern(IIsPatternOperation operation)
        => ParseTestedValue(operation.Value, "pattern tests of", "test") is { } value ? ParsePattern(operation.Pattern, value) : null;

    /// <summary>
    /// The value a switch or a pattern test reads once per test, so it must be free of user calls
    /// (<see cref="Analysis.ExprFacts.IsPure"/>); <paramref name="what"/> names the construct in the diagnostic
    /// ("switches on"), <paramref name="verb"/> what the advice does with a local ("switch on").
    /// </summary>
    private Expr? ParseTestedValue(IOperation operation, string what, string verb)
    {
        if (ParseExpr(operation) is not { } value)
        {
            return null;
        }

        return Analysis.ExprFacts.IsPure(value)
            ? value
            : Unsupported(operation, what + " a value that calls a method", "compute it into a local first and " + verb + " the local");
    }

    /// <summary><paramref name="test"/> and its <c>when</c> guard, if it has one (null when either failed to parse).</summary>
    private Expr? Guarded(Expr? test, IOperation? guard)
    {
        if (test is null || guard is null)
        {
            return test;
        }

        return ParseValue(guard, ScalarKind.Bool) is { } g ? new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalAnd, test, g) : null;
    }

    /// <summary><c>v == c</c> for a constant pattern or case label (a NaN constant is reported: <c>==</c> never matches it, the pattern does).</summary>
    private Expr? ConstantTest(IOperation constant, Expr value)
    {
        if (ParseExpr(constant) is not { } c)
        {
            return null;
        }

        return c is ConstExpr { Text: var text } && text.Contains("NaN")
            ? Unsupported(constant, "NaN constant patterns", "test double.IsNaN(v) (or v != v) in an if or a conditional")
            : Compare(BinaryOp.Equal, value, c);
    }

    /// <summary>The test that <paramref name="value"/> matches <paramref name="pattern"/>, as a bool expression.</summary>
    private Expr? ParsePattern(IPatternOperation pattern, Expr value)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant:
                return ConstantTest(constant.Value, value);

            case IRelationalPatternOperation relational when MapBinary(relational.OperatorKind) is { } op:
                return ParseExpr(relational.Value) is { } bound ? Compare(op, value, bound) : null;

            case IBinaryPatternOperation binary:
                Expr? left = ParsePattern(binary.LeftPattern, value);
                Expr? right = left is null ? null : ParsePattern(binary.RightPattern, value);
                return left is null || right is null
                    ? null
                    : new BinaryExpr(ScalarKind.Bool, binary.OperatorKind == BinaryOperatorKind.Or ? BinaryOp.ConditionalOr : BinaryOp.ConditionalAnd, left, right);

            case INegatedPatternOperation negated:
                return ParsePattern(negated.Pattern, value) is { } inner ? new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, inner) : null;

            case IDiscardPatternOperation:
                return True;

            default:
                return Unsupported(pattern, "patterns of this kind (" + pattern.Kind + ")", "use constants, <, <=, >, >=, and, or, not, and a final _");
        }
    }

    private static Expr Compare(BinaryOp op, Expr left, Expr right)
    {
        ScalarKind operandKind = Promote(left.Kind, right.Kind);
        return new BinaryExpr(ScalarKind.Bool, op, ConvertTo(left, operandKind), ConvertTo(right, operandKind));
    }

    private Expr? Unsupported(IOperation operation, string what, string advice)
    {
        Report(DiagnosticDescriptors.UnsupportedExpression, operation.Syntax.GetLocation(), CommentOf(operation.Syntax), what, advice);
        return null;
    }

    private VarInfo? IndexableOf(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        if (IsArrayHelperCall(operation, out IInvocationOperation arrayCall))
        {
            return InlineArrayCall(arrayCall, _before);
        }

        return operation switch
        {
            ILocalReferenceOperation l when _variables.TryGetValue(l.Local, out VarInfo? v) && v.IsIndexable => v,
            IParameterReferenceOperation p when _variables.TryGetValue(p.Parameter, out VarInfo? v) && v.IsIndexable => v,
            _ => null,
        };
    }

    private ElemExpr? ParseElement(IOperation operation)
    {
        if (operation is IArrayElementReferenceOperation { Indices.Length: 2 } matrixElement)
        {
            return ParseMatrixElement(matrixElement);
        }

        (IOperation? instance, IOperation? index) = operation switch
        {
            IArrayElementReferenceOperation { Indices.Length: 1 } a => (a.ArrayReference, a.Indices[0]),
            IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1 } p => (p.Instance, p.Arguments[0].Value),
            _ => ((IOperation?)null, (IOperation?)null),
        };
        if (instance is null || index is null || ViewOf(instance) is not { IsMatrix: false } view)
        {
            // An array already reported (a local whose creation failed, a helper call that could not be inlined): no
            // second diagnostic at each of its elements.
            if (!(instance is ILocalReferenceOperation { Local: var local } && _reported.Contains(local)) && !(instance is not null && IsArrayHelperCall(instance, out _)))
            {
                Unsupported(operation, "element accesses of this kind", "index a one-dimensional array or span parameter or local array with an int");
            }

            return null;
        }

        return ParseValue(index, ScalarKind.Int) is { } parsedIndex ? new ElemExpr(view.Base.Kind, view.Base.Name, view.At(parsedIndex)) : null;
    }

    private Expr? ParseUnary(IUnaryOperation unary)
    {
        if (unary.OperatorMethod is { } unaryOperator && IsStructCode(unaryOperator) && TypeClassifier.TryScalar(unary.Type, out ScalarKind resultKind))
        {
            return InlineScalar(unaryOperator, null, new[] { unary.Operand }, unary, resultKind);
        }

        if (unary.OperatorMethod is not null || unary.IsLifted || !TypeClassifier.TryScalar(unary.Type, out ScalarKind kind))
        {
            return Unsupported(unary, "user-defined and lifted operators", "compute with built-in double, float, int, long or bool operators");
        }

        UnaryOp? op = unary.OperatorKind switch
        {
            UnaryOperatorKind.Minus => UnaryOp.Negate,
            UnaryOperatorKind.Plus => UnaryOp.Plus,
            UnaryOperatorKind.Not => UnaryOp.Not,
            _ => null,
        };
        if (op is null)
        {
            return Unsupported(unary, "the operator '" + unary.OperatorKind + "'", "rewrite it with +, -, *, /, comparisons or !");
        }

        return ParseValue(unary.Operand, kind) is { } operand ? new UnaryExpr(kind, op.Value, operand) : null;
    }

    private Expr? ParseBinary(IBinaryOperation binary)
    {
        if (binary.OperatorMethod is { } binaryOperator && IsStructCode(binaryOperator) && TypeClassifier.TryScalar(binary.Type, out ScalarKind resultKind))
        {
            // a * b, a dot product of two structs: the operator's body inlined.
            return InlineScalar(binaryOperator, null, new[] { binary.LeftOperand, binary.RightOperand }, binary, resultKind);
        }

        if (binary.OperatorMethod is not null || binary.IsLifted || !TypeClassifier.TryScalar(binary.Type, out ScalarKind kind))
        {
            return Unsupported(binary, "user-defined and lifted operators", "compute with built-in double, float, int, long or bool operators");
        }

        if (MapBinary(binary.OperatorKind) is not { } op)
        {
            string token = (binary.Syntax as Microsoft.CodeAnalysis.CSharp.Syntax.BinaryExpressionSyntax)?.OperatorToken.Text ?? "this operator";
            return Unsupported(binary, "the operator '" + token + "'", "rewrite it with arithmetic, comparisons, && or ||");
        }

        Expr? left = ParseExpr(binary.LeftOperand);
        Expr? right = op is BinaryOp.ConditionalAnd or BinaryOp.ConditionalOr ? ParseConditionally(binary.RightOperand) : ParseExpr(binary.RightOperand);
        if (left is null || right is null)
        {
            return null;
        }

        // Operands of comparisons and arithmetic share one type after Roslyn's promotions (made explicit here).
        ScalarKind operandKind = IsComparisonOrLogical(op) ? Promote(left.Kind, right.Kind) : kind;

        // A shift count stays an int (x << (long)k does not compile).
        Expr rightOperand = op is BinaryOp.LeftShift or BinaryOp.RightShift ? right : ConvertTo(right, operandKind);
        return new BinaryExpr(kind, op, ConvertTo(left, operandKind), rightOperand);
    }

    private Expr? ParseConversion(IConversionOperation conversion)
    {
        if (conversion.OperatorMethod is not null || !TypeClassifier.TryScalar(conversion.Type, out ScalarKind kind))
        {
            return Unsupported(conversion, "conversions to this type", "convert between double, float, int, long and bool only");
        }

        return ParseExpr(conversion.Operand) is { } operand ? ConvertTo(operand, kind) : null;
    }

    private static Expr ConvertTo(Expr expr, ScalarKind kind)
    {
        if (expr.Kind == kind)
        {
            return expr;
        }

        // Fold conversions of literals (2 -> 2.0) so that the generated code stays readable.
        if (expr is ConstExpr constant && kind != ScalarKind.Bool && constant.Kind is ScalarKind.Int or ScalarKind.Long
            && long.TryParse(constant.Text.TrimEnd('L'), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long value))
        {
            return new ConstExpr(kind, Literal.Of(value, kind));
        }

        return new ConvertExpr(kind, expr);
    }

    /// <summary>C#'s binary numeric promotion over the IR's kinds.</summary>
    private static ScalarKind Promote(ScalarKind a, ScalarKind b)
    {
        if (a == ScalarKind.Double || b == ScalarKind.Double)
        {
            return ScalarKind.Double;
        }

        if (a == ScalarKind.Float || b == ScalarKind.Float)
        {
            return ScalarKind.Float;
        }

        if (a == ScalarKind.Long || b == ScalarKind.Long)
        {
            return ScalarKind.Long;
        }

        return a == ScalarKind.Bool && b == ScalarKind.Bool ? ScalarKind.Bool : ScalarKind.Int;
    }

    private static bool IsComparisonOrLogical(BinaryOp op) => op >= BinaryOp.Less;

    /// <summary>The IR operator of a C# binary operator; null for those the IR does not have (shifts, ...).</summary>
    internal static BinaryOp? MapBinary(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.Add => BinaryOp.Add,
        BinaryOperatorKind.Subtract => BinaryOp.Subtract,
        BinaryOperatorKind.Multiply => BinaryOp.Multiply,
        BinaryOperatorKind.Divide => BinaryOp.Divide,
        BinaryOperatorKind.Remainder => BinaryOp.Remainder,
        BinaryOperatorKind.LessThan => BinaryOp.Less,
        BinaryOperatorKind.LessThanOrEqual => BinaryOp.LessOrEqual,
        BinaryOperatorKind.GreaterThan => BinaryOp.Greater,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOp.GreaterOrEqual,
        BinaryOperatorKind.Equals => BinaryOp.Equal,
        BinaryOperatorKind.NotEquals => BinaryOp.NotEqual,
        BinaryOperatorKind.ConditionalAnd => BinaryOp.ConditionalAnd,
        BinaryOperatorKind.ConditionalOr => BinaryOp.ConditionalOr,
        BinaryOperatorKind.And => BinaryOp.And,
        BinaryOperatorKind.Or => BinaryOp.Or,
        BinaryOperatorKind.ExclusiveOr => BinaryOp.Xor,
        BinaryOperatorKind.LeftShift => BinaryOp.LeftShift,
        BinaryOperatorKind.RightShift => BinaryOp.RightShift,
        _ => null,
    };
}
