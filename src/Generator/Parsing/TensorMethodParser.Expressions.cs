using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir.Tensors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

/// <content>Expressions: tensor and float values, operators, and passive code kept as text pieces.</content>
internal sealed partial class TensorMethodParser
{
    /// <summary>A tensor-valued expression.</summary>
    private TValue? Tensor(IOperation operation)
    {
        operation = Unwrap(operation);
        switch (operation)
        {
            case ILocalReferenceOperation local when _locals.TryGetValue(local.Local, out TValue? value):
                return value;
            case IParameterReferenceOperation parameter when _locals.TryGetValue(parameter.Parameter, out TValue? rebound):
                return rebound;
            case IParameterReferenceOperation parameter:
                bool differentiable = !TypeClassifier.HasAttribute(parameter.Parameter, WellKnownNames.NoDerivativeAttribute);
                return new TValue(TKind.Tensor, TSource.Parameter, parameter.Parameter.Name, -1, differentiable);
            case IFieldReferenceOperation { Instance: { } instance } field when LayerPath(instance) is { } path:
                return Member(path, field.Field);
            case IPropertyReferenceOperation { Instance: { } instance } property when LayerPath(instance) is { } path:
                return Member(path, property.Property);
            case IInvocationOperation invocation:
                return Invocation(invocation);
            case IBinaryOperation binary when binary.OperatorMethod is not null:
                return Call(binary.OperatorMethod, new[] { binary.LeftOperand, binary.RightOperand }, binary.Syntax);
            case IUnaryOperation unary when unary.OperatorMethod is not null:
                return Call(unary.OperatorMethod, new[] { unary.Operand }, unary.Syntax);
            default:
                return Unsupported(DiagnosticDescriptors.UnsupportedModelValue, operation.Syntax.GetLocation(), "the tensor expression '" + SymbolText.OneLine(operation.Syntax) + "' (" + Describe(operation) + ")");
        }
    }

    private static TValue Member(string path, ISymbol member)
    {
        bool trainable = ModelParser.TrainableMember(member) is { IsTensor: true };
        return new TValue(TKind.Tensor, TSource.Field, path + member.Name, -1, trainable);
    }

    /// <summary>"" for <c>this</c>, "Hidden." for the layer field <c>this.Hidden</c>, and so on down nested layers; null otherwise.</summary>
    private string? LayerPath(IOperation? instance)
    {
        switch (instance)
        {
            case IInstanceReferenceOperation:
                return string.Empty;
            case ILocalReferenceOperation local when _loopVariables.TryGetValue(local.Local, out string? element):
                return element;
            case IFieldReferenceOperation field when ModelParser.TrainableMember(field.Field) is { IsTensor: false, Count: null } && LayerPath(field.Instance) is { } outer:
                return outer + field.Field.Name + ".";
            case IPropertyReferenceOperation property when ModelParser.TrainableMember(property.Property) is { IsTensor: false, Count: null } && LayerPath(property.Instance) is { } outer:
                return outer + property.Property.Name + ".";
            default:
                return null;
        }
    }

    /// <summary>A float-valued expression: active values get statements, passive ones stay text.</summary>
    private TValue? Float(IOperation operation)
    {
        operation = Unwrap(operation);
        if (operation.Type?.SpecialType == SpecialType.System_Double
            || operation is IConversionOperation { Operand.Type.SpecialType: SpecialType.System_Double } && InvolvesValues(operation))
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelValue, operation.Syntax.GetLocation(), "double arithmetic in a model method; tensors hold float, so use float (e.g. 0.5f)");
        }

        switch (operation)
        {
            case ILocalReferenceOperation local when _locals.TryGetValue(local.Local, out TValue? value):
                return value;
            case IParameterReferenceOperation parameter when _locals.TryGetValue(parameter.Parameter, out TValue? rebound):
                return rebound;
            case IInvocationOperation invocation when invocation.Type?.SpecialType == SpecialType.System_Single && InvolvesValues(invocation):
                return Invocation(invocation);
            case IBinaryOperation binary when binary.OperatorMethod is null && InvolvesValues(binary):
            {
                TValue? left = Float(binary.LeftOperand);
                return left is null ? null : Binary(binary.OperatorKind, null, left, binary.RightOperand, binary.Type, binary.Syntax);
            }

            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus } unary when InvolvesValues(unary):
            {
                TValue? operand = Float(unary.Operand);
                return operand is null ? null : Scalar(TScalarOp.Negate, operand, null);
            }

            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Plus } unary:
                return Float(unary.Operand);
            default:
                return InvolvesValues(operation)
                    ? Unsupported(DiagnosticDescriptors.UnsupportedModelValue, operation.Syntax.GetLocation(), "the float expression '" + SymbolText.OneLine(operation.Syntax) + "' (" + Describe(operation) + ")")
                    : Passive(operation);
        }
    }

    private TValue? Binary(BinaryOperatorKind kind, IMethodSymbol? operatorMethod, TValue left, IOperation rightOperation, ITypeSymbol? type, SyntaxNode syntax)
    {
        if (operatorMethod is not null)
        {
            TValue? rightTensor = ArgumentFor(operatorMethod.Parameters[1], rightOperation);
            return rightTensor is null ? null : CallWithValues(operatorMethod, new[] { left, rightTensor }, syntax);
        }

        TScalarOp? op = kind switch
        {
            BinaryOperatorKind.Add => TScalarOp.Add,
            BinaryOperatorKind.Subtract => TScalarOp.Subtract,
            BinaryOperatorKind.Multiply => TScalarOp.Multiply,
            BinaryOperatorKind.Divide => TScalarOp.Divide,
            _ => null,
        };
        if (op is null || type?.SpecialType != SpecialType.System_Single)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelValue, syntax.GetLocation(), "the operator in '" + SymbolText.OneLine(syntax) + "'; float values support + - * / and unary minus");
        }

        TValue? right = Float(rightOperation);
        return right is null ? null : Scalar(op.Value, left, right);
    }

    private TValue Scalar(TScalarOp op, TValue left, TValue? right)
    {
        // Passive text folds into passive text; an inactive value on the tape (a branch's merged constant) is read
        // there, so it gets a statement like an active one (without a backward part).
        if (left.Source == TSource.Passive && (right is null || right.Source == TSource.Passive))
        {
            string text = right is null ? "(-" + left.Code + ")" : "(" + left.Code + " " + op.Text() + " " + right.Code + ")";
            return new TValue(TKind.Float, TSource.Passive, text, -1, false);
        }

        var target = new TValue(TKind.Float, TSource.Temp, string.Empty, _slots++, left.Active || (right?.Active ?? false));
        Add(new TScalarStmt(TakeComment(), target, op, left, right));
        return target;
    }

    private TValue? Passive(IOperation operation)
    {
        if (operation.ConstantValue.HasValue)
        {
            return new TValue(Kind(operation), TSource.Passive, ConstantText(operation.ConstantValue.Value, operation.Type), -1, false);
        }

        if (operation is IParameterReferenceOperation bound && _locals.TryGetValue(bound.Parameter, out TValue? value))
        {
            return value;
        }

        if (operation is ILocalReferenceOperation counter && _indexVariables.TryGetValue(counter.Local, out string? index))
        {
            return new TValue(Kind(operation), TSource.Passive, index, -1, false);
        }

        if (operation is IParameterReferenceOperation parameter)
        {
            return new TValue(Kind(operation), TSource.Passive, parameter.Parameter.Name, -1, false);
        }

        bool usesIndex = operation.DescendantsAndSelf().Any(o => o is ILocalReferenceOperation l && _indexVariables.ContainsKey(l.Local));
        // The shape of a computed tensor (a Tensor local, a rebound parameter) is read from where the tensor is kept.
        bool readsComputedShape = operation.DescendantsAndSelf().Any(o => IsShapeRead(o) && ((IPropertyReferenceOperation)o).Instance switch
        {
            ILocalReferenceOperation l => _locals.ContainsKey(l.Local),
            IParameterReferenceOperation q => _locals.ContainsKey(q.Parameter),
            _ => false,
        });
        if (OutsideShapeReads(operation).Any(o => o is ILocalReferenceOperation l && !_indexVariables.ContainsKey(l.Local)))
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelValue, operation.Syntax.GetLocation(), "the local in '" + SymbolText.OneLine(operation.Syntax) + "'; only Tensor and float locals are tracked, so pass other values as parameters or fields");
        }

        // Evaluated once in the forward pass and kept on the tape for the backward pass.
        int slot = _slots++;
        string typeText = operation.Type?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) ?? "object";
        EquatableArray<TCodePart>? code = _inlining.Count > 0 || usesIndex || readsComputedShape ? PortableText(operation.Syntax) : new[] { TCodePart.Source(operation.Syntax.ToString()) }.ToEquatableArray();
        if (code is not { } parts)
        {
            return null;
        }

        Add(new TPassiveStmt(TakeComment(), slot, typeText, parts));
        return new TValue(Kind(operation), TSource.Stored, string.Empty, slot, false);
    }

    /// <summary>
    /// The text of a passive expression of an inlined tensor function, valid in the caller's file: types and
    /// unqualified static members fully qualified, the function's parameters replaced by the caller's values.
    /// </summary>
    private EquatableArray<TCodePart>? PortableText(SyntaxNode expression)
    {
        var replacements = new Dictionary<SyntaxNode, TCodePart>();
        foreach (IdentifierNameSyntax name in expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            bool qualified = name.Parent is MemberAccessExpressionSyntax access && access.Name == name;
            ISymbol? symbol = _scope.Model.GetSymbolInfo(name, _cancellationToken).Symbol;
            if (symbol is not null and not IParameterSymbol and not ILocalSymbol && !_scope.Model.Compilation.IsSymbolAccessibleWithin(symbol, _method.ContainingType))
            {
                Unsupported(DiagnosticDescriptors.UnsupportedModelValue, name.GetLocation(), "'" + symbol.ToDisplayString() + "', which the model method that inlines this tensor function cannot access (make it internal or public, or pass the value as a parameter)");
                return null;
            }

            // (h).Columns reads h's shape as h.Columns does: look through parentheses.
            SyntaxNode outer = name;
            while (outer.Parent is ParenthesizedExpressionSyntax parenthesized)
            {
                outer = parenthesized;
            }

            bool shapeOf = outer.Parent is MemberAccessExpressionSyntax read && read.Expression == outer && IsShapeProperty(read.Name.Identifier.Text);
            switch (symbol)
            {
                case ILocalSymbol or IParameterSymbol when shapeOf && _locals.TryGetValue(symbol, out TValue? tensor) && tensor.Kind == TKind.Tensor:
                    replacements[name] = tensor.Source switch
                    {
                        TSource.Temp => new TCodePart(TCodeKind.Tensor, string.Empty, tensor.Slot),
                        TSource.Field => TCodePart.Source("this." + tensor.Code),
                        _ => TCodePart.Source("(" + tensor.Code + ")"),
                    };
                    break;
                case IParameterSymbol parameter when _locals.TryGetValue(parameter, out TValue? value) && value.Source is TSource.Passive or TSource.Stored:
                    replacements[name] = value.Source == TSource.Stored ? new TCodePart(TCodeKind.Stored, string.Empty, value.Slot) : TCodePart.Source("(" + value.Code + ")");
                    break;
                case IParameterSymbol parameter when _locals.ContainsKey(parameter):
                    Unsupported(DiagnosticDescriptors.UnsupportedModelValue, name.GetLocation(), "the parameter '" + parameter.Name + "' inside the expression '" + SymbolText.OneLine(expression) + "'; it holds a computed value here, so use it directly as an argument");
                    return null;
                case ILocalSymbol local when _indexVariables.TryGetValue(local, out string? index):
                    replacements[name] = TCodePart.Source(index);
                    break;
                case ILocalSymbol local when _locals.TryGetValue(local, out TValue? held) && held.Kind == TKind.Tensor:
                    // A tensor local has no C# variable in the generated code; only its shape can be read here.
                    Unsupported(DiagnosticDescriptors.UnsupportedModelValue, name.GetLocation(), "the tensor '" + local.Name + "' inside the expression '" + SymbolText.OneLine(expression) + "'; only its shape (Rows, Columns, Length) can be read in a float expression");
                    return null;
                case INamedTypeSymbol type when !qualified:
                    replacements[name] = TCodePart.Source(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                    break;
                case { IsStatic: true, ContainingType: { } owner } member when !qualified && member is IFieldSymbol or IPropertySymbol or IMethodSymbol:
                    replacements[name] = TCodePart.Source(owner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + name.Identifier.Text);
                    break;
            }
        }

        // The expression's text (its span, as Syntax.ToString() gives it) with the replacements spliced in.
        string source = expression.ToString();
        var parts = new List<TCodePart>();
        int position = 0;
        foreach (KeyValuePair<SyntaxNode, TCodePart> replacement in replacements.OrderBy(r => r.Key.SpanStart))
        {
            int start = replacement.Key.SpanStart - expression.SpanStart;
            parts.Add(TCodePart.Source(source.Substring(position, start - position)));
            parts.Add(replacement.Value);
            position = replacement.Key.Span.End - expression.SpanStart;
        }

        parts.Add(TCodePart.Source(source.Substring(position)));
        return parts.ToEquatableArray();
    }
}
