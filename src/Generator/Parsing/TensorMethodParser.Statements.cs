using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Ir.Tensors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

/// <content>Statements: locals, layer loops, counted and while loops, ifs and returns.</content>
internal sealed partial class TensorMethodParser
{
    private void ParseBlock(IBlockOperation block) => ParseStatements(block.Operations);

    private void ParseStatements(IEnumerable<IOperation> statements)
    {
        foreach (IOperation statement in statements)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (_scope.Result is not null)
            {
                Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, statement.Syntax.GetLocation(), "statements after the return are not supported");
                return;
            }

            _comment = _scope.CommentPrefix + SymbolText.OneLine(statement.Syntax);
            switch (statement)
            {
                case IVariableDeclarationGroupOperation group:
                    foreach (IVariableDeclaratorOperation declarator in group.Declarations.SelectMany(d => d.Declarators))
                    {
                        IVariableInitializerOperation? initializer = declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer;
                        if (initializer is null)
                        {
                            Unsupported(DiagnosticDescriptors.UnsupportedModelValue, declarator.Syntax.GetLocation(), "locals must be initialised where they are declared");
                            continue;
                        }

                        Bind(declarator.Symbol, initializer.Value, declarator.Syntax);
                    }

                    break;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment }:
                    Bind(local.Local, assignment.Value, assignment.Syntax);
                    break;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: IParameterReferenceOperation { Parameter: { RefKind: RefKind.None } parameter } } assignment }
                    when ModelParser.IsTensor(parameter.Type) || parameter.Type.SpecialType == SpecialType.System_Single:
                    // x = layer.Forward(x): a by-value parameter is a local of the method; rebinding it is invisible to the caller.
                    TValue? rebound = ModelParser.IsTensor(parameter.Type) ? Tensor(assignment.Value) : Float(assignment.Value);
                    _locals[parameter] = rebound ?? Failed();
                    break;
                case IExpressionStatementOperation { Operation: ICompoundAssignmentOperation { Target: ILocalReferenceOperation local } compound }:
                    if (_locals.TryGetValue(local.Local, out TValue? current)
                        && Binary(compound.OperatorKind, compound.OperatorMethod, current, compound.Value, compound.Type, compound.Syntax) is { } updated)
                    {
                        _locals[local.Local] = updated;
                    }

                    break;
                case IExpressionStatementOperation { Operation: IAssignmentOperation other }:
                    Report(DiagnosticDescriptors.SideEffectWrite, other.Syntax.GetLocation(), _method.Name, SymbolText.OneLine(other.Target.Syntax));
                    break;
                case IReturnOperation when _scope.LoopDepth > 0:
                    Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, statement.Syntax.GetLocation(), "return inside a loop; assign to a local and return after the loop");
                    break;
                case IReturnOperation when _scope.InBranch > 0:
                    Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, statement.Syntax.GetLocation(), "return inside an if; assign to a local in each branch and return after the if");
                    break;
                case IConditionalOperation branch:
                    ParseIf(branch);
                    break;
                case IForEachLoopOperation loop:
                    ParseLayerLoop(loop);
                    break;
                case IForLoopOperation loop:
                    ParseCountedLoop(loop);
                    break;
                case IWhileLoopOperation loop:
                    ParseWhileLoop(loop);
                    break;
                case IReturnOperation { ReturnedValue: { } value }:
                    _scope.Result = ModelParser.IsTensor(_scope.Function.ReturnType) ? Tensor(value) : Float(value);
                    _scope.Result ??= Failed();
                    break;
                case IBlockOperation inner:
                    ParseBlock(inner);
                    break;
                default:
                    Unsupported(statement.Syntax.GetLocation(), Describe(statement) + " statements are not supported in model methods (locals, assignments, if/else, loops over a list of layers and a final return are)");
                    break;
            }
        }
    }

    private void Bind(ILocalSymbol local, IOperation value, SyntaxNode syntax)
    {
        TValue? bound = ModelParser.IsTensor(local.Type) ? Tensor(value)
            : local.Type.SpecialType == SpecialType.System_Single ? Float(value)
            : Unsupported(DiagnosticDescriptors.UnsupportedModelValue, syntax.GetLocation(), "the local '" + local.Name + "' of type '" + local.Type.ToDisplayString() + "'; locals of model methods are Tensor or float (pass other values as parameters or fields)");
        _locals[local] = bound ?? Failed();
    }

    /// <summary>
    /// <c>foreach (var layer in Layers) { ... }</c> over a list of layers: the body becomes a frame run once per layer;
    /// Tensor and float locals it assigns are carried from one iteration to the next.
    /// </summary>
    private void ParseLayerLoop(IForEachLoopOperation loop)
    {
        string header = loop.Syntax is ForEachStatementSyntax each ? "foreach (" + each.Type + " " + each.Identifier.Text + " in " + each.Expression + ")" : SymbolText.OneLine(loop.Syntax);
        IOperation collection = loop.Collection;
        while (collection is IConversionOperation { IsImplicit: true } conversion)
        {
            collection = conversion.Operand;
        }

        (ISymbol? member, IOperation? instance) = collection switch
        {
            IFieldReferenceOperation field => ((ISymbol?)field.Field, field.Instance),
            IPropertyReferenceOperation property => (property.Property, property.Instance),
            _ => (null, null),
        };
        if (member is null || LayerPath(instance) is not { } outer || ModelParser.TrainableMember(member) is not { Count: { } count }
            || loop.LoopControlVariable is not IVariableDeclaratorOperation { Symbol: { } variable })
        {
            Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, loop.Syntax.GetLocation(), "the loop '" + header + "'; a model method can loop over a list of layers (foreach (var layer in Layers), with Layers a T[], List<T> or IReadOnlyList<T> of a [Model] type) or count (for (int i = 0; i < n; i++))");
            return;
        }

        string list = outer + member.Name;
        ParseFrameLoop(loop.Body, header, list, new TValue(TKind.Float, TSource.Passive, "this." + list + "." + count, -1, false), variable, null, 0, null);
    }

    /// <summary>
    /// <c>for (int i = 0; i &lt; n; i++) { ... }</c> with <c>n</c> not depending on the method's values: like a loop over
    /// layers, one tape frame per iteration and carried locals; <c>i</c> may appear in passive expressions.
    /// </summary>
    private void ParseCountedLoop(IForLoopOperation loop)
    {
        string header = loop.Syntax is ForStatementSyntax statement ? "for (" + statement.Declaration + "; " + statement.Condition + "; " + string.Join(", ", statement.Incrementors) + ")" : SymbolText.OneLine(loop.Syntax);
        ILocalSymbol? index = loop.Before.SelectMany(o => o.DescendantsAndSelf()).OfType<IVariableDeclaratorOperation>().SingleOrDefault()?.Symbol;
        int? start = loop.Before.SelectMany(o => o.DescendantsAndSelf()).OfType<IVariableInitializerOperation>().SingleOrDefault()?.Value.ConstantValue is { HasValue: true, Value: int first } ? first : null;
        // i++ or i += 1
        ILocalReferenceOperation? stepped = loop.AtLoopBottom.Length != 1 || loop.AtLoopBottom[0] is not IExpressionStatementOperation { Operation: var step } ? null : step switch
        {
            IIncrementOrDecrementOperation { Kind: OperationKind.Increment, Target: ILocalReferenceOperation target } => target,
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, Value.ConstantValue: { HasValue: true, Value: 1 }, Target: ILocalReferenceOperation target } => target,
            _ => null,
        };
        bool steps = stepped is not null && SymbolEqualityComparer.Default.Equals(stepped.Local, index);
        IOperation? bound = loop.Condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan, LeftOperand: ILocalReferenceOperation tested, RightOperand: var right }
            && SymbolEqualityComparer.Default.Equals(tested.Local, index) ? right : null;
        bool writesIndex = loop.Body.DescendantsAndSelf().Any(o => o is IAssignmentOperation { Target: ILocalReferenceOperation l } && SymbolEqualityComparer.Default.Equals(l.Local, index)
            || o is IIncrementOrDecrementOperation { Target: ILocalReferenceOperation m } && SymbolEqualityComparer.Default.Equals(m.Local, index));
        if (index is null || index.Type.SpecialType != SpecialType.System_Int32 || start is null || !steps || bound is null || writesIndex || InvolvesValues(bound)
            || bound.DescendantsAndSelf().Any(o => o is ILocalReferenceOperation l && !_indexVariables.ContainsKey(l.Local)))
        {
            Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, loop.Syntax.GetLocation(), "the loop '" + header + "'; a counted loop in model code is for (int i = c; i < n; i++) with c a constant, n a parameter, field, constant or an enclosing loop's counter, and i not assigned in the body");
            return;
        }

        if (HasJump(loop))
        {
            return;
        }

        _comment = _scope.CommentPrefix + "trip count of " + header;
        if (Passive(bound) is not { } count)
        {
            return;
        }

        ParseFrameLoop(loop.Body, header, string.Empty, count, null, index, start.Value, null);
    }

    /// <summary>
    /// <c>while (a &lt; b) { ... }</c> with <c>a</c> or <c>b</c> a float the loop updates: like a counted loop, one tape
    /// frame per iteration and carried locals, but the trip count is known only when the condition fails; the forward
    /// pass keeps it on the tape. The condition is not differentiated (as in an if).
    /// </summary>
    private void ParseWhileLoop(IWhileLoopOperation loop)
    {
        string header = loop.Syntax is WhileStatementSyntax statement ? "while (" + SymbolText.OneLine(statement.Condition) + ")" : SymbolText.OneLine(loop.Syntax);
        if (!loop.ConditionIsTop || loop.ConditionIsUntil || loop.Condition is null)
        {
            Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, loop.Syntax.GetLocation(), "the do-while loop; write it as a while loop (while (condition) { ... })");
            return;
        }

        if (HasJump(loop))
        {
            return;
        }

        if (!InvolvesValues(loop.Condition))
        {
            Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, loop.Condition.Syntax.GetLocation(), "the condition '" + SymbolText.OneLine(loop.Condition.Syntax) + "' of a while loop; in model code it compares float values the loop updates (a passive condition would never change)");
            return;
        }

        ParseFrameLoop(loop.Body, header, string.Empty, new TValue(TKind.Float, TSource.Passive, string.Empty, -1, false), null, null, 0, loop.Condition);
    }

    /// <summary>Reports a break or continue in the loop (a frame loop runs every frame to the end): true when there is one.</summary>
    private bool HasJump(ILoopOperation loop)
    {
        if (!loop.Body.DescendantsAndSelf().Any(o => o is IBranchOperation))
        {
            return false;
        }

        Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, loop.Syntax.GetLocation(), "break and continue in a loop of model code");
        return true;
    }

    /// <summary>
    /// The body of a loop run once per frame: a layer loop (element variable), a counted loop (index variable) or a
    /// while loop (<paramref name="condition"/>, tested at the start of each frame).
    /// </summary>
    private void ParseFrameLoop(IOperation loopBody, string header, string list, TValue count, ISymbol? element, ILocalSymbol? indexVariable, int start, IOperation? condition)
    {
        // Locals declared before the loop and assigned in it are carried from one iteration to the next.
        var carried = new List<ISymbol>();
        foreach (IAssignmentOperation assignment in loopBody.DescendantsAndSelf().OfType<IAssignmentOperation>())
        {
            switch (assignment.Target)
            {
                case ILocalReferenceOperation local when _locals.ContainsKey(local.Local) && !carried.Contains(local.Local, SymbolEqualityComparer.Default):
                    carried.Add(local.Local);
                    break;
                case IParameterReferenceOperation { Parameter: { RefKind: RefKind.None } parameter } reference
                    when (ModelParser.IsTensor(parameter.Type) || parameter.Type.SpecialType == SpecialType.System_Single) && !carried.Contains(parameter, SymbolEqualityComparer.Default):
                    if (!_locals.ContainsKey(parameter))
                    {
                        _locals[parameter] = (ModelParser.IsTensor(parameter.Type) ? Tensor(reference) : Float(reference)) ?? Failed();
                    }

                    carried.Add(parameter);
                    break;
            }
        }

        int frame = _frames++;
        string index = "__i" + frame.ToString(CultureInfo.InvariantCulture);
        int firstSlot = _slots, firstTape = _tapes;
        var initial = carried.Select(l => _locals[l]).ToList();
        var inputs = new List<TValue>();
        foreach (ISymbol local in carried)
        {
            var input = new TValue(_locals[local].Kind, TSource.Temp, string.Empty, _slots++, true);
            inputs.Add(input);
            _locals[local] = input;
        }

        List<TStmt> outerBody = _body;
        _body = new List<TStmt>();
        if (element is not null)
        {
            _loopVariables[element] = list + "[" + index + "].";
        }

        if (indexVariable is not null)
        {
            // Frames count from 0; the loop's counter is the frame index plus its first value.
            _indexVariables[indexVariable] = start == 0 ? index : "(" + index + " + " + start.ToString(CultureInfo.InvariantCulture) + ")";
        }

        _scope.LoopDepth++;
        if (condition is not null)
        {
            _comment = _scope.CommentPrefix + header;
            if (Condition(condition) is { } test)
            {
                Add(new TExitStmt(TakeComment(), test.Left, test.Op, test.Right));
            }
        }

        ParseStatements(loopBody is IBlockOperation block ? block.Operations : (IEnumerable<IOperation>)new[] { loopBody });
        _scope.LoopDepth--;
        if (element is not null)
        {
            _loopVariables.Remove(element);
        }

        if (indexVariable is not null)
        {
            _indexVariables.Remove(indexVariable);
        }

        List<TStmt> body = _body;
        _body = outerBody;
        var outputs = carried.Select(l => _locals[l]).ToList();
        var frameSlots = Enumerable.Range(firstSlot, _slots - firstSlot).ToEquatableArray();
        var frameTapes = Enumerable.Range(firstTape, _tapes - firstTape).ToEquatableArray();
        var results = new List<TValue>();
        for (int i = 0; i < carried.Count; i++)
        {
            var result = new TValue(inputs[i].Kind, TSource.Temp, string.Empty, _slots++, initial[i].Active || outputs[i].Active);
            results.Add(result);
            _locals[carried[i]] = result;
        }

        Add(new TLoopStmt(header, list, count, start, index, frame, body.ToEquatableArray(), inputs.ToEquatableArray(), initial.ToEquatableArray(),
            outputs.ToEquatableArray(), results.ToEquatableArray(), frameSlots, frameTapes, condition is not null));
    }

    /// <summary>
    /// <c>if (condition) ... else ...</c>: each branch is parsed from the same locals; Tensor and float locals (and
    /// by-value parameters) that either branch assigns are merged into one value after the <c>if</c>.
    /// </summary>
    private void ParseIf(IConditionalOperation branch)
    {
        string header = branch.Syntax is IfStatementSyntax statement ? "if (" + SymbolText.OneLine(statement.Condition) + ")" : SymbolText.OneLine(branch.Syntax);
        TakeComment();
        if (Condition(branch.Condition) is not { } condition)
        {
            return;
        }

        int conditionSlot = _slots++;
        var before = new Dictionary<ISymbol, TValue>(_locals, SymbolEqualityComparer.Default);
        List<TStmt> outerBody = _body;

        (List<TStmt> Body, Dictionary<ISymbol, TValue> Locals) Branch(IOperation? operation)
        {
            _locals.Clear();
            foreach (KeyValuePair<ISymbol, TValue> local in before)
            {
                _locals[local.Key] = local.Value;
            }

            _body = new List<TStmt>();
            if (operation is not null)
            {
                _scope.InBranch++;
                ParseStatements(operation is IBlockOperation block ? block.Operations : (IEnumerable<IOperation>)new[] { operation });
                _scope.InBranch--;
            }

            return (_body, new Dictionary<ISymbol, TValue>(_locals, SymbolEqualityComparer.Default));
        }

        (List<TStmt> thenBody, Dictionary<ISymbol, TValue> afterThen) = Branch(branch.WhenTrue);
        (List<TStmt> elseBody, Dictionary<ISymbol, TValue> afterElse) = Branch(branch.WhenFalse);
        _body = outerBody;
        _locals.Clear();
        var thenOutputs = new List<TValue>();
        var elseOutputs = new List<TValue>();
        var results = new List<TValue>();
        foreach (KeyValuePair<ISymbol, TValue> local in before)
        {
            TValue whenTrue = afterThen[local.Key], whenFalse = afterElse[local.Key];
            if (whenTrue == local.Value && whenFalse == local.Value)
            {
                _locals[local.Key] = local.Value;
                continue;
            }

            var result = new TValue(local.Value.Kind, TSource.Temp, string.Empty, _slots++, whenTrue.Active || whenFalse.Active);
            thenOutputs.Add(whenTrue);
            elseOutputs.Add(whenFalse);
            results.Add(result);
            _locals[local.Key] = result;
        }

        Add(new TIfStmt(_scope.CommentPrefix + header, conditionSlot, condition.Left, condition.Op, condition.Right, thenBody.ToEquatableArray(),
            elseBody.ToEquatableArray(), thenOutputs.ToEquatableArray(), elseOutputs.ToEquatableArray(), results.ToEquatableArray()));
    }

    /// <summary>An if's condition: a bool that does not involve the method's values, or a comparison of two float values.</summary>
    private (TValue Left, BinaryOp? Op, TValue? Right)? Condition(IOperation condition)
    {
        condition = Unwrap(condition);
        if (!InvolvesValues(condition))
        {
            return Passive(condition) is { } passive ? (passive, null, null) : null;
        }

        if (condition is IBinaryOperation { OperatorMethod: null, LeftOperand.Type.SpecialType: SpecialType.System_Single, RightOperand.Type.SpecialType: SpecialType.System_Single } comparison
            && MethodParser.MapBinary(comparison.OperatorKind) is { } op and >= BinaryOp.Less and <= BinaryOp.NotEqual)
        {
            TValue? left = Float(comparison.LeftOperand);
            TValue? right = left is null ? null : Float(comparison.RightOperand);
            return right is null ? null : (left!, op, right);
        }

        Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, condition.Syntax.GetLocation(), "the condition '" + SymbolText.OneLine(condition.Syntax) + "'; a condition in model code (of an if or a while) is a bool that does not depend on tensors (a parameter, a field, a constant, a tensor's Rows, Columns, Length or Rank) or compares two float values");
        return null;
    }
}
