using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Statements: blocks, declarations, assignments, returns, guards and calls (control flow is in MethodParser.ControlFlow.cs).
internal sealed partial class MethodParser
{
    private void ParseStatement(IOperation operation, List<Stmt> output)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        switch (operation)
        {
            case IBlockOperation block:
                foreach (IOperation statement in block.Operations)
                {
                    ParseStatement(statement, output);
                }

                break;

            case IVariableDeclarationGroupOperation group:
                foreach (IVariableDeclarationOperation declaration in group.Declarations)
                {
                    foreach (IVariableDeclaratorOperation declarator in declaration.Declarators)
                    {
                        ParseDeclarator(declarator, declarator.Initializer ?? declaration.Initializer, output);
                    }
                }

                break;

            case IExpressionStatementOperation expression:
                ParseExpressionStatement(expression.Operation, CommentOf(expression.Syntax), output);
                break;

            case IConditionalOperation conditional:
                ParseIf(conditional, output);
                break;

            case ISwitchOperation switchStatement:
                ParseSwitch(switchStatement, output);
                break;

            case IWhileLoopOperation loop:
                ParseWhile(loop, output);
                break;

            case IForLoopOperation loop:
                ParseFor(loop, output);
                break;

            case IForEachLoopOperation loop:
                ParseForEach(loop, output);
                break;

            case IBranchOperation { BranchKind: BranchKind.Break } branch:
                output.Add(new BreakStmt(CommentOf(branch.Syntax)));
                break;

            case IBranchOperation { BranchKind: BranchKind.Continue } branch:
                output.Add(new ContinueStmt(CommentOf(branch.Syntax)));
                break;

            case IReturnOperation { ReturnedValue: { } returnedArray } arrayReturn when _arrayResult:
                // A helper that returns an array: which array it is, for the caller to take as its result.
                if (Unconverted(returnedArray) is IArrayCreationOperation created && TypeClassifier.TryScalar(((IArrayTypeSymbol)created.Type!).ElementType, out ScalarKind createdKind))
                {
                    // return new double[,] { ... }: a local array made here, and returned.
                    VarInfo? made = created.DimensionSizes.Length == 2
                        ? ParseMatrixCreation(null, createdKind, created, CommentOf(arrayReturn.Syntax), created.Syntax.GetLocation(), output)
                        : ParseArrayCreation(AddLocalArray("__array", createdKind), created, CommentOf(arrayReturn.Syntax), created.Syntax.GetLocation(), output);
                    if (made is not null)
                    {
                        ReturnArray(made, CommentOf(arrayReturn.Syntax), output);
                    }
                }
                else if (IsArrayHelperCall(Unconverted(returnedArray), out IInvocationOperation returnedCall))
                {
                    // => MatMul(MatMul(a, b), c): the helper inlined here, and what it returns returned.
                    if (InlineArrayCall(returnedCall, output) is { } inlined)
                    {
                        ReturnArray(inlined, CommentOf(arrayReturn.Syntax), output);
                    }
                }
                else if (!IsPartialView(returnedArray) && IndexableOf(returnedArray) is { } array)
                {
                    ReturnArray(array, CommentOf(arrayReturn.Syntax), output);
                }
                else
                {
                    Unsupported(returnedArray, "returned values other than an array variable", "return a local array, or a parameter array");
                }

                break;

            case IReturnOperation { ReturnedValue: { } structValue } structReturn when _structResult is not null:
                // A helper that returns a struct: the value into the caller's result, then out.
                if (ParseStruct(structValue, output, out _) is { } returnedStruct)
                {
                    CopyStruct(returnedStruct, _structResult, CommentOf(structReturn.Syntax), output, declaration: false);
                    if (_resultParameter is not null && _output is not null && _inlining.Count == 0)
                    {
                        // A method of its own that returns a struct: its fields are the results.
                        int k = 0;
                        foreach (VarInfo leaf in _structResult.Leaves())
                        {
                            output.Add(new AssignStmt(CommentOf(structReturn.Syntax), _output.Name, Int(k++), new VarExpr(leaf.Kind, leaf.Name), IsDeclaration: false));
                        }
                    }

                    output.Add(new ReturnStmt(CommentOf(structReturn.Syntax), new ConstExpr(_returnKind, Literal.Of(0, _returnKind))));
                }

                break;

            case IReturnOperation { ReturnedValue: { } value } ret:
                if (ParseGuardedValue(value, _returnKind, output) is { } returned)
                {
                    output.Add(new ReturnStmt(CommentOf(ret.Syntax), returned));
                }

                break;

            // return; in a vector-valued method: its results are what the [Output] span holds.
            case IReturnOperation { ReturnedValue: null } bare when _output is not null || _inlining.Count > 0 || _method.ReturnsVoid:
                // An inlined helper's return ends the helper only: its body is lowered on its own (Inline).
                ScalarKind bareKind = _inlining.Count > 0 || _output is null ? ScalarKind.Double : _returnKind;
                output.Add(new ReturnStmt(CommentOf(bare.Syntax), new ConstExpr(bareKind, Literal.Number(0, bareKind))));
                break;

            case IThrowOperation thrown:
                Guard(thrown, output);
                break;

            // Inlined where it is called.
            case ILocalFunctionOperation:
                break;

            case IEmptyOperation:
                break;

            // A label alone is harmless; the goto that targets it is what gets reported.
            case ILabeledOperation { Operation: { } labeled }:
                ParseStatement(labeled, output);
                break;

            default:
                ReportStatement(operation);
                break;
        }
    }

    private void ReportStatement(IOperation operation)
    {
        string kind = operation.Syntax switch
        {
            TryStatementSyntax => "try/catch/finally",
            GotoStatementSyntax or LabeledStatementSyntax => "goto and label",
            SwitchStatementSyntax => "switch",
            UsingStatementSyntax => "using",
            LockStatementSyntax => "lock",
            ThrowStatementSyntax => "throw",
            UnsafeStatementSyntax or FixedStatementSyntax => "unsafe and fixed",
            YieldStatementSyntax => "yield",
            CheckedStatementSyntax => "checked/unchecked",
            _ => "these",
        };
        string advice = operation.Syntax switch
        {
            ThrowStatementSyntax => "validate the arguments before calling the method",
            TryStatementSyntax => "check the values with an if and throw (guard clauses are supported), or catch around the call of the method",
            _ => "move it out of the [Differentiable] method",
        };
        Report(DiagnosticDescriptors.UnsupportedStatement, operation.Syntax.GetLocation(), CommentOf(operation.Syntax), kind, advice);
    }

    private void ParseDeclarator(IVariableDeclaratorOperation declarator, IVariableInitializerOperation? initializer, List<Stmt> output)
    {
        ILocalSymbol local = declarator.Symbol;
        // The whole declaration statement, or just the declaration inside a for (...) header.
        SyntaxNode commentNode = declarator.Syntax.Parent?.Parent is LocalDeclarationStatementSyntax statement ? statement : declarator.Syntax.Parent ?? declarator.Syntax;
        string comment = CommentOf(commentNode);
        if (local.RefKind != RefKind.None)
        {
            // An alias: writes through it change another variable, which the IR would not see.
            Report(DiagnosticDescriptors.UnsupportedExpression, declarator.Syntax.GetLocation(), comment, "ref locals",
                "read and write the variable or array element itself");
            _reported.Add(local);
            return;
        }

        if (initializer?.Value is { } created && IsArrayHelperCall(Unconverted(created), out IInvocationOperation arrayCall))
        {
            // double[] c = Scale(a, 2): c is the array the helper returns.
            if (InlineArrayCall(arrayCall, output) is { } returned)
            {
                _variables[local] = returned;
            }
            else
            {
                _reported.Add(local);
            }

            return;
        }

        if (initializer?.Value is { } pair && !TypeClassifier.TryClassify(local.Type, out _, out _) && ParseNestedCall(Unconverted(pair), out bool nested) is null && nested)
        {
            // var j = GJvp(...): reported at the call (take .Value or .Tangent).
            _reported.Add(local);
            return;
        }

        if (initializer?.Value is { } part && IsPartialView(part) && ViewOf(part) is { } view)
        {
            // double[] row = xs[i]: the local names that row of the jagged array.
            BindView(local, view, comment, output);
            return;
        }

        if (StructShape.ArrayOf(local.Type) is { } structArray)
        {
            DeclareStructArrayLocal(local, structArray.Shape, structArray.Kind, initializer?.Value, comment, declarator.Syntax.GetLocation(), output);
            return;
        }

        if (StructShape.Of(local.Type) is { } structShape)
        {
            DeclareStructLocal(local, structShape, initializer?.Value, comment, output);
            return;
        }

        if (TypeClassifier.TryMatrix(local.Type, out ScalarKind elementKind))
        {
            ParseMatrixCreation(local, elementKind, initializer?.Value, comment, declarator.Syntax.GetLocation(), output);
            return;
        }

        if (!TypeClassifier.TryClassify(local.Type, out ScalarKind kind, out ShapeKind shape) || shape == ShapeKind.ReadOnlySpan)
        {
            Report(DiagnosticDescriptors.UnsupportedType, declarator.Syntax.GetLocation(), comment, SymbolText.TypeName(local.Type),
                SymbolText.Instead(local.Type, local: true));
            _reported.Add(local);
            return;
        }

        VarInfo info = DeclareLocal(local, kind, shape);
        if (shape == ShapeKind.Scalar)
        {
            if (initializer?.Value is { } value && ParseStatementValue(value, kind, output) is { } parsed)
            {
                output.Add(new AssignStmt(comment, info.Name, null, parsed, IsDeclaration: true));
            }

            return;
        }

        ParseArrayCreation(info, initializer?.Value, comment, declarator.Syntax.GetLocation(), output);
    }

    // A local array: `new T[n]`, `new T[] { ... }` or `stackalloc T[n]`, created once at the top level.
    private VarInfo? ParseArrayCreation(VarInfo info, IOperation? value, string comment, Location location, List<Stmt> output)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        if (value is IArrayCreationOperation { DimensionSizes.Length: 1 } creation)
        {
            if (creation.Initializer is { } init)
            {
                output.Add(new ArrayDeclStmt(comment, info.Name, new ConstExpr(ScalarKind.Int, init.ElementValues.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                for (int i = 0; i < init.ElementValues.Length; i++)
                {
                    if (ParseValue(init.ElementValues[i], info.Kind) is { } element)
                    {
                        var index = new ConstExpr(ScalarKind.Int, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        output.Add(new AssignStmt(comment, info.Name, index, element, IsDeclaration: false));
                    }
                }
            }
            else if (ParseValue(creation.DimensionSizes[0], ScalarKind.Int) is { } length)
            {
                output.Add(new ArrayDeclStmt(comment, info.Name, length));
            }
            else
            {
                return null;
            }

            return info;
        }

        // stackalloc has no dedicated IOperation in the public API: read its size from the syntax.
        if (value?.Syntax is StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax arrayType }
            && arrayType.RankSpecifiers.Count == 1 && arrayType.RankSpecifiers[0].Sizes.Count == 1
            && _semanticModel.GetOperation(arrayType.RankSpecifiers[0].Sizes[0], _cancellationToken) is { } sizeOperation
            && ParseValue(sizeOperation, ScalarKind.Int) is { } stackLength)
        {
            output.Add(new ArrayDeclStmt(comment, info.Name, stackLength));
            return info;
        }

        Report(DiagnosticDescriptors.UnsupportedExpression, location, comment, "array aliases and array values other than new T[n] or stackalloc T[n]",
            "create the local array with new T[n] or stackalloc T[n] and fill it element by element");
        return null;
    }

    private void ParseExpressionStatement(IOperation operation, string comment, List<Stmt> output)
    {
        switch (operation)
        {
            case IThrowOperation thrown:
                Guard(thrown, output);
                break;

            case IDeconstructionAssignmentOperation deconstruction:
                ParseDeconstruction(deconstruction, comment, output);
                break;

            case IInvocationOperation guard when IsGuardCall(guard.TargetMethod):
                Guard(guard, output);
                break;

            case ISimpleAssignmentOperation or ICompoundAssignmentOperation when ParseStructAssignment(operation, comment, output):
                break;

            case IInvocationOperation { TargetMethod: { ReturnsVoid: true } member } memberCall when IsStructCode(member):
                // p.Normalize(): a struct's void method, on the caller's value (it may change it); on an element of an
                // array of structs, on a copy written back.
                ElementPath? element = member.IsStatic || memberCall.Instance is null ? null : ElementPathOf(memberCall.Instance);
                StructValue? target = member.IsStatic || memberCall.Instance is null ? null : ParseStruct(memberCall.Instance, output, out _);
                if ((member.IsStatic || memberCall.Instance is null || target is not null)
                    && InlineCall(member, Arguments(memberCall.Arguments), memberCall, comment, output, self: target) is not null && element is { Shape: { } } && target is not null)
                {
                    StoreElement(element, target, comment, output);
                }

                break;

            case ISimpleAssignmentOperation assignment:
                if (ParseTarget(assignment.Target, comment) is { } simpleTarget && ParseStatementValue(assignment.Value, simpleTarget.Kind, output) is { } value)
                {
                    output.Add(new AssignStmt(comment, simpleTarget.Name, simpleTarget.Index, value, IsDeclaration: false));
                }

                break;

            case ICompoundAssignmentOperation compound:
                if (ParseTarget(compound.Target, comment) is { } compoundTarget && ParseGuardedValue(compound.Value, null, output) is { } right
                    && MapBinary(compound.OperatorKind) is { } op && compound.OperatorMethod is null)
                {
                    ScalarKind opKind = Promote(compoundTarget.Kind, right.Kind);
                    Expr combined = new BinaryExpr(opKind, op, ConvertTo(compoundTarget.Read, opKind), ConvertTo(right, opKind));
                    output.Add(new AssignStmt(comment, compoundTarget.Name, compoundTarget.Index, ConvertTo(combined, compoundTarget.Kind), IsDeclaration: false));
                }
                else if (compound.OperatorMethod is not null || MapBinary(compound.OperatorKind) is null)
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, compound.Syntax.GetLocation(), comment, "this compound operator", "write the operation out in full");
                }

                break;

            case IIncrementOrDecrementOperation increment:
                if (ParseTarget(increment.Target, comment) is { } incTarget)
                {
                    BinaryOp incrementOp = increment.Kind == OperationKind.Increment ? BinaryOp.Add : BinaryOp.Subtract;
                    var one = new ConstExpr(incTarget.Kind, Literal.Of(1, incTarget.Kind));
                    output.Add(new AssignStmt(comment, incTarget.Name, incTarget.Index, new BinaryExpr(incTarget.Kind, incrementOp, incTarget.Read, one), IsDeclaration: false));
                }

                break;

            case var call when ReportNestedDerivative(call):
                break;

            case IInvocationOperation nestedGradient when NestedCallOf(nestedGradient) is { Suffix: "Gradient" or "Vjp" }:
                // Called for its adjoints: the value is dropped.
                ParseStatementValue(nestedGradient, ScalarKind.Double, output);
                break;

            case IInvocationOperation { TargetMethod: { ReturnsVoid: true } helper } helperCall
                when TypeClassifier.HasAttribute(helper, WellKnownNames.DifferentiableAttribute) || helper.MethodKind == MethodKind.LocalFunction:
                Inline(helperCall, comment, output);
                break;

            // A void method that is not [Differentiable]: it fills an array, or prints, or logs.
            case IInvocationOperation { TargetMethod: { ReturnsVoid: true } unmarked } when unmarked.Parameters.Any(p => TypeClassifier.TryClassify(p.Type, out _, out ShapeKind shape) && shape != ShapeKind.Scalar):
                Report(DiagnosticDescriptors.UnsupportedStatement, operation.Syntax.GetLocation(), comment, "unmarked helper call",
                    unmarked.DeclaringSyntaxReferences.Length > 0
                        ? "mark '" + unmarked.Name + "' [Differentiable]: a void helper that writes into an array or span is differentiated through its body"
                        : "'" + unmarked.Name + "' is not in this project, so its body cannot be differentiated; write what it computes here, or in a [Differentiable] helper");
                break;

            default:
                Report(DiagnosticDescriptors.UnsupportedStatement, operation.Syntax.GetLocation(), comment, "expression",
                    "a differentiable method has no side effects, so a call whose result is discarded does nothing; assign the result or remove it");
                break;
        }
    }

    /// <summary>The whole value of a statement: a nested gradient's adjoints (GGradient's out arguments) may be written here, before it.</summary>
    private Expr? ParseStatementValue(IOperation value, ScalarKind kind, List<Stmt> output)
    {
        Expr? parsed = ParseNestedCall(Unconverted(value), out bool isNested, output) is { } nested ? ConvertTo(nested, kind) : null;
        return isNested ? parsed : ParseGuardedValue(value, kind, output);
    }

    /// <summary>An assignable location: a scalar local/parameter, or an element of a local array.</summary>
    private sealed record Target(string Name, Expr? Index, ScalarKind Kind, Expr Read);

    private Target? ParseTarget(IOperation target, string comment)
    {
        switch (target)
        {
            case ILocalReferenceOperation { Local: var local } when _variables.TryGetValue(local, out VarInfo? info) && !info.IsIndexable:
                return new Target(info.Name, null, info.Kind, new VarExpr(info.Kind, info.Name));

            case IParameterReferenceOperation { Parameter: var parameter } when _variables.TryGetValue(parameter, out VarInfo? info) && !info.IsIndexable:
                return new Target(info.Name, null, info.Kind, new VarExpr(info.Kind, info.Name));

            case IArrayElementReferenceOperation or IPropertyReferenceOperation { Property.IsIndexer: true }:
                if (ParseElement(target) is not { } element)
                {
                    return null;
                }

                VarInfo array = _variables.Values.First(v => v.Name == element.Array);

                // A void helper's span and array parameters are its outputs: writing them is what it is for.
                if (array.Role == VarRole.Parameter && !(_method.ReturnsVoid && _output is null))
                {
                    Report(DiagnosticDescriptors.SideEffectWrite, target.Syntax.GetLocation(), comment, "the parameter '" + array.Name + "'");
                    return null;
                }

                return new Target(array.Name, element.Index, array.Kind, element);

            case IFieldReferenceOperation or IPropertyReferenceOperation when ElementPathOf(target) is { Shape: null } elementField:
                // ps[i].X = v: the element's field.
                if (WritesParameter(elementField))
                {
                    Report(DiagnosticDescriptors.SideEffectWrite, target.Syntax.GetLocation(), comment, "the parameter '" + elementField.Array.Name + "'");
                    return null;
                }

                return new Target(elementField.Array.Name, elementField.At(0), elementField.Kind, new ElemExpr(elementField.Kind, elementField.Array.Name, elementField.At(0)));

            case IFieldReferenceOperation or IPropertyReferenceOperation when StructLeafTarget(target) is { } leaf:
                return new Target(leaf.Name, null, leaf.Kind, new VarExpr(leaf.Kind, leaf.Name));

            case IFieldReferenceOperation field:
                Report(DiagnosticDescriptors.SideEffectWrite, target.Syntax.GetLocation(), comment, "the field '" + field.Field.Name + "'");
                return null;

            case IPropertyReferenceOperation property:
                Report(DiagnosticDescriptors.SideEffectWrite, target.Syntax.GetLocation(), comment, "the property '" + property.Property.Name + "'");
                return null;

            default:
                Report(DiagnosticDescriptors.UnsupportedExpression, target.Syntax.GetLocation(), comment, "assignments to this kind of target",
                    "assign to a local variable or an element of a local array");
                return null;
        }
    }
}
