using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Ir.Tensors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

/// <summary>
/// Turns a <c>[Differentiable]</c> instance method of a <c>[Model]</c> class into SSA
/// (<see cref="TensorMethod"/>): every op call, layer call and float operation becomes a statement whose result
/// gets a tape slot; locals are renamed to the values they hold. A call to a tensor function (a static
/// <c>[Differentiable]</c> method on tensors) is inlined: its body is parsed in place with its parameters bound
/// to the argument values, so its derivative is part of the caller's backward pass.
/// </summary>
internal sealed class TensorMethodParser
{
    private readonly IMethodSymbol _method;
    private readonly List<IMethodSymbol> _inlining = new();
    private SemanticModel _semanticModel;
    private IMethodSymbol _function;
    private string _commentPrefix = string.Empty;
    private readonly CancellationToken _cancellationToken;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly Dictionary<ISymbol, TValue> _locals = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, string> _loopVariables = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, string> _indexVariables = new(SymbolEqualityComparer.Default);
    private List<TStmt> _body = new();
    private int _loopDepth;
    private int _inBranch;
    private int _frames;
    private int _slots;
    private int _tapes;
    private string _comment = string.Empty;
    private TValue? _result;

    private TensorMethodParser(SemanticModel semanticModel, IMethodSymbol method, CancellationToken cancellationToken)
    {
        _semanticModel = semanticModel;
        _method = method;
        _function = method;
        _cancellationToken = cancellationToken;
    }

    /// <summary>
    /// The parse step for model methods and tensor functions. Never throws: a failure becomes AD0901 and stubs.
    /// A tensor function is parsed on its own only for its diagnostics (it gets no generated code).
    /// </summary>
    public static ParseResult<TensorMethod> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || context.TargetNode is not MethodDeclarationSyntax syntax
            || !ModelRules.IsTensorCode(method) || !SignatureRules.IsGenerated(method))
        {
            return ParseResult<TensorMethod>.None;
        }

        var parser = new TensorMethodParser(context.SemanticModel, method, cancellationToken);
        try
        {
            ParseResult<TensorMethod> result = parser.Run(syntax);
            return ModelRules.IsTensorFunction(method) ? result with { Value = null } : result;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            DiagnosticInfo error = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, syntax.Identifier.GetLocation(), method.Name, exception.GetType().Name + ": " + exception.Message);
            return new ParseResult<TensorMethod>(ModelRules.IsTensorFunction(method) ? null : parser.Build(syntax, isStub: true), new[] { error }.ToEquatableArray());
        }
    }

    private ParseResult<TensorMethod> Run(MethodDeclarationSyntax syntax)
    {
        IOperation? operation = _semanticModel.GetOperation(syntax, _cancellationToken);
        if (operation is IMethodBodyOperation body && (body.BlockBody ?? body.ExpressionBody) is IBlockOperation block)
        {
            ParseBlock(block);
        }
        else
        {
            Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, syntax.Identifier.GetLocation(), "the method has no body");
        }

        if (_result is null && !_diagnostics.Any())
        {
            Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, syntax.Identifier.GetLocation(), "the method must end with a return statement");
        }

        bool stub = _diagnostics.Any(d => d.IsError);
        return new ParseResult<TensorMethod>(Build(syntax, stub), _diagnostics.ToEquatableArray());
    }

    private TensorMethod Build(MethodDeclarationSyntax syntax, bool isStub)
    {
        INamedTypeSymbol type = _method.ContainingType;
        (string ns, EquatableArray<ContainingType> types) = SymbolText.Containers(type);
        var parameters = _method.Parameters.Select(p => new TParam(p.Name, p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            ModelParser.IsTensor(p.Type), ModelParser.IsTensor(p.Type) && !TypeClassifier.HasAttribute(p, WellKnownNames.NoDerivativeAttribute))).ToEquatableArray();
        string hint = GeneratedNames.HintName(ns, types, _method, "Model.g.cs");
        var usings = syntax.SyntaxTree.GetRoot(_cancellationToken).DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
            .OfType<UsingDirectiveSyntax>().Select(u => u.ToString()).Distinct().ToEquatableArray();
        return new TensorMethod(hint, GeneratedNames.TapeType(_method), ns, types, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), _method.Name,
            SymbolText.Accessibility(_method.DeclaredAccessibility), ModelParser.IsTensor(_method.ReturnType) ? TKind.Tensor : TKind.Float,
            parameters, isStub ? EquatableArray<TStmt>.Empty : _body.ToEquatableArray(), isStub ? null : _result, usings, isStub);
    }

    // ---- statements ----

    private void ParseBlock(IBlockOperation block) => ParseStatements(block.Operations);

    private void ParseStatements(IEnumerable<IOperation> statements)
    {
        foreach (IOperation statement in statements)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (_result is not null)
            {
                Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, statement.Syntax.GetLocation(), "statements after the return are not supported");
                return;
            }

            _comment = _commentPrefix + SymbolText.OneLine(statement.Syntax);
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
                case IReturnOperation when _loopDepth > 0:
                    Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, statement.Syntax.GetLocation(), "return inside a loop; assign to a local and return after the loop");
                    break;
                case IReturnOperation when _inBranch > 0:
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
                    _result = ModelParser.IsTensor(_function.ReturnType) ? Tensor(value) : Float(value);
                    _result ??= Failed();
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

        _comment = _commentPrefix + "trip count of " + header;
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

        _loopDepth++;
        if (condition is not null)
        {
            _comment = _commentPrefix + header;
            if (Condition(condition) is { } test)
            {
                Add(new TExitStmt(TakeComment(), test.Left, test.Op, test.Right));
            }
        }

        ParseStatements(loopBody is IBlockOperation block ? block.Operations : (IEnumerable<IOperation>)new[] { loopBody });
        _loopDepth--;
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
                _inBranch++;
                ParseStatements(operation is IBlockOperation block ? block.Operations : (IEnumerable<IOperation>)new[] { operation });
                _inBranch--;
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

        Add(new TIfStmt(_commentPrefix + header, conditionSlot, condition.Left, condition.Op, condition.Right, thenBody.ToEquatableArray(),
            elseBody.ToEquatableArray(), thenOutputs.ToEquatableArray(), elseOutputs.ToEquatableArray(), results.ToEquatableArray()));
    }

    /// <summary>An if's condition: a bool that does not involve the method's values, or a comparison of two float values.</summary>
    private (TValue Left, string Op, TValue? Right)? Condition(IOperation condition)
    {
        condition = Unwrap(condition);
        if (!InvolvesValues(condition))
        {
            return Passive(condition) is { } passive ? (passive, string.Empty, null) : null;
        }

        if (condition is IBinaryOperation { OperatorMethod: null, LeftOperand.Type.SpecialType: SpecialType.System_Single, RightOperand.Type.SpecialType: SpecialType.System_Single } comparison
            && comparison.OperatorKind switch
            {
                BinaryOperatorKind.LessThan => "<",
                BinaryOperatorKind.LessThanOrEqual => "<=",
                BinaryOperatorKind.GreaterThan => ">",
                BinaryOperatorKind.GreaterThanOrEqual => ">=",
                BinaryOperatorKind.Equals => "==",
                BinaryOperatorKind.NotEquals => "!=",
                _ => null,
            } is { } op)
        {
            TValue? left = Float(comparison.LeftOperand);
            TValue? right = left is null ? null : Float(comparison.RightOperand);
            return right is null ? null : (left!, op, right);
        }

        Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, condition.Syntax.GetLocation(), "the condition '" + SymbolText.OneLine(condition.Syntax) + "'; a condition in model code (of an if or a while) is a bool that does not depend on tensors (a parameter, a field, a constant, a tensor's Rows, Columns, Length or Rank) or compares two float values");
        return null;
    }

    // ---- expressions ----

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
                return operand is null ? null : Scalar('n', operand, null);
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

        char op = kind switch
        {
            BinaryOperatorKind.Add => '+',
            BinaryOperatorKind.Subtract => '-',
            BinaryOperatorKind.Multiply => '*',
            BinaryOperatorKind.Divide => '/',
            _ => '?',
        };
        if (op == '?' || type?.SpecialType != SpecialType.System_Single)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelValue, syntax.GetLocation(), "the operator in '" + SymbolText.OneLine(syntax) + "'; float values support + - * / and unary minus");
        }

        TValue? right = Float(rightOperation);
        return right is null ? null : Scalar(op, left, right);
    }

    private TValue Scalar(char op, TValue left, TValue? right)
    {
        // Passive text folds into passive text; an inactive value on the tape (a branch's merged constant) is read
        // there, so it gets a statement like an active one (without a backward part).
        if (left.Source == TSource.Passive && (right is null || right.Source == TSource.Passive))
        {
            string text = right is null ? "(-" + left.Code + ")" : "(" + left.Code + " " + op + " " + right.Code + ")";
            return new TValue(TKind.Float, TSource.Passive, text, -1, false);
        }

        var target = new TValue(TKind.Float, TSource.Temp, string.Empty, _slots++, left.Active || (right?.Active ?? false));
        Add(new TScalarStmt(TakeComment(), target, op, left, right));
        return target;
    }

    private TValue? Invocation(IInvocationOperation invocation)
    {
        IMethodSymbol target = invocation.TargetMethod;
        IOperation[] arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToArray();
        if (!target.IsStatic && TypeClassifier.HasAttribute(target, WellKnownNames.DifferentiableAttribute) && ModelRules.IsModelMethod(target))
        {
            return LayerCall(invocation, target, arguments);
        }

        if (TypeClassifier.HasAttribute(target, WellKnownNames.DifferentiableAttribute) && ModelRules.IsTensorFunction(target))
        {
            return Inline(invocation, target, arguments);
        }

        return Call(target, arguments, invocation.Syntax);
    }

    private TValue? Call(IMethodSymbol target, IOperation[] arguments, SyntaxNode syntax)
    {
        var values = new List<TValue>();
        for (int i = 0; i < arguments.Length; i++)
        {
            if (ArgumentFor(target.Parameters[i], arguments[i]) is not { } value)
            {
                return null;
            }

            values.Add(value);
        }

        return CallWithValues(target, values, syntax);
    }

    private TValue? ArgumentFor(IParameterSymbol parameter, IOperation argument)
    {
        if (parameter.RefKind != RefKind.None)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, argument.Syntax.GetLocation(), "ref, out and in arguments");
        }

        if (ModelParser.IsTensor(parameter.Type))
        {
            return Tensor(argument);
        }

        if (parameter.Type.SpecialType == SpecialType.System_Single)
        {
            return Float(argument);
        }

        return InvolvesValues(argument)
            ? Unsupported(DiagnosticDescriptors.UnsupportedModelCall, argument.Syntax.GetLocation(), "the argument '" + SymbolText.OneLine(argument.Syntax) + "' computes with tensor or float values of the method where a '" + parameter.Type.ToDisplayString() + "' is expected")
            : Passive(argument);
    }

    private TValue? CallWithValues(IMethodSymbol target, IReadOnlyList<TValue> args, SyntaxNode syntax)
    {
        string display = (target.ContainingType?.Name ?? "?") + "." + target.Name;
        bool tensorResult = ModelParser.IsTensor(target.ReturnType);
        if (!tensorResult && target.ReturnType.SpecialType != SpecialType.System_Single)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, syntax.GetLocation(), "the call to '" + display + "' returns '" + target.ReturnType.ToDisplayString() + "'; model code computes with Tensor and float");
        }

        if (!target.IsStatic || target.IsGenericMethod)
        {
            Report(DiagnosticDescriptors.NoDerivativeForCall, syntax.GetLocation(), display);
            return null;
        }

        (string Vjp, string? Jvp, string? Into)? registration = FindRegistration(target, syntax);
        if (registration is null)
        {
            return null;
        }

        string type = target.ContainingType!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        bool active = args.Any(a => a.Active && a.Kind == TKind.Tensor);
        foreach (TValue arg in args)
        {
            if (arg.Active && arg.Kind == TKind.Float)
            {
                return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, syntax.GetLocation(), "gradients through the float argument of '" + display + "'; pass a constant, or write the scaling as float arithmetic on the op's result");
            }
        }

        var result = new TValue(tensorResult ? TKind.Tensor : TKind.Float, TSource.Temp, string.Empty, _slots++, active);
        Add(new TOpStmt(TakeComment(), result, type + "." + target.Name, registration.Value.Into is { } into ? type + "." + into : null,
            registration.Value.Vjp, registration.Value.Jvp, args.ToEquatableArray()));
        return result;
    }

    /// <summary>
    /// A call to a tensor function: its body is parsed here, with its parameters bound to the argument values. Its
    /// own problems are reported on it (by its own parse); here they become one error at the call.
    /// </summary>
    private TValue? Inline(IInvocationOperation invocation, IMethodSymbol target, IOperation[] arguments)
    {
        string display = target.ContainingType.Name + "." + target.Name;
        if (_inlining.Contains(target, SymbolEqualityComparer.Default) || SymbolEqualityComparer.Default.Equals(target, _method))
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, invocation.Syntax.GetLocation(), "the recursive call to '" + display + "'; tensor functions are inlined where they are called, so they cannot call themselves");
        }

        if (ModelRules.CheckMethod(target).Count > 0
            || target.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Body is not null || m.ExpressionBody is not null) is not { } syntax)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, invocation.Syntax.GetLocation(), "the call to the tensor function '" + display + "', whose declaration has errors (reported on it)");
        }

        var values = new List<TValue>();
        for (int i = 0; i < arguments.Length; i++)
        {
            if (ArgumentFor(target.Parameters[i], arguments[i]) is not { } value)
            {
                return null;
            }

            values.Add(value);
        }

        SemanticModel model = syntax.SyntaxTree == _semanticModel.SyntaxTree ? _semanticModel : _semanticModel.Compilation.GetSemanticModel(syntax.SyntaxTree);
        if (model.GetOperation(syntax, _cancellationToken) is not IMethodBodyOperation body || (body.BlockBody ?? body.ExpressionBody) is not IBlockOperation block)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, invocation.Syntax.GetLocation(), "the call to the tensor function '" + display + "', whose body could not be read");
        }

        (SemanticModel savedModel, IMethodSymbol savedFunction, TValue? savedResult, string savedComment, string savedPrefix, int savedBranch, int savedLoops, int savedDiagnostics)
            = (_semanticModel, _function, _result, _comment, _commentPrefix, _inBranch, _loopDepth, _diagnostics.Count);
        for (int i = 0; i < values.Count; i++)
        {
            _locals[target.Parameters[i]] = values[i];
        }

        // The function's own return ends its body, even inside an if or a loop of the caller.
        _inlining.Add(target);
        (_semanticModel, _function, _result, _commentPrefix, _inBranch, _loopDepth) = (model, target, null, savedPrefix + target.Name + ": ", 0, 0);
        ParseBlock(block);
        TValue? result = _result;
        _inlining.RemoveAt(_inlining.Count - 1);
        (_semanticModel, _function, _result, _comment, _commentPrefix, _inBranch, _loopDepth) = (savedModel, savedFunction, savedResult, savedComment, savedPrefix, savedBranch, savedLoops);
        foreach (IParameterSymbol parameter in target.Parameters)
        {
            _locals.Remove(parameter);
        }

        if (_diagnostics.Count > savedDiagnostics)
        {
            Diagnostic? error = _diagnostics.Skip(savedDiagnostics).FirstOrDefault(d => d.IsError)?.ToDiagnostic();
            _diagnostics.RemoveRange(savedDiagnostics, _diagnostics.Count - savedDiagnostics);
            if (error is not null)
            {
                // The function's own parse reports its errors on it; this one says which and where, for errors that
                // only arise in this caller (a member it cannot access).
                FileLinePositionSpan where = error.Location.GetLineSpan();
                string message = error.GetMessage(CultureInfo.InvariantCulture);
                string prefix = "Cannot differentiate '" + _method.Name + "': ";
                message = message.StartsWith(prefix, StringComparison.Ordinal) ? message.Substring(prefix.Length) : message;
                return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, invocation.Syntax.GetLocation(), "the call to the tensor function '" + display + "' (" + System.IO.Path.GetFileName(where.Path) + ", line "
                    + (where.StartLinePosition.Line + 1).ToString(CultureInfo.InvariantCulture) + ": " + message + ")");
            }
        }

        return result ?? Unsupported(DiagnosticDescriptors.UnsupportedModelCall, invocation.Syntax.GetLocation(), "the call to the tensor function '" + display + "', which must end with a return statement");
    }

    private TValue? LayerCall(IInvocationOperation invocation, IMethodSymbol target, IOperation[] arguments)
    {
        if (!SignatureRules.IsGenerated(target))
        {
            // Its declaration is reported there; it gets no generated Record/Backward to call.
            Report(DiagnosticDescriptors.CalleeNotGenerated, invocation.Syntax.GetLocation(), target.ContainingType.Name + "." + target.Name, "see the errors on its declaration");
            return null;
        }

        if (LayerPath(invocation.Instance) is not { } path)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, invocation.Syntax.GetLocation(), "calls on '" + SymbolText.OneLine(invocation.Instance?.Syntax ?? invocation.Syntax) + "'; call [Differentiable] methods on this model or on its layer fields");
        }

        string receiver = path.TrimEnd('.');
        var values = new List<TValue>();
        var differentiable = new List<bool>();
        for (int i = 0; i < arguments.Length; i++)
        {
            IParameterSymbol parameter = target.Parameters[i];
            if (ArgumentFor(parameter, arguments[i]) is not { } value)
            {
                return null;
            }

            if (value.Active && value.Kind == TKind.Float)
            {
                return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, arguments[i].Syntax.GetLocation(), "gradients through a float argument of a model method; pass a constant");
            }

            values.Add(value);
            differentiable.Add(ModelParser.IsTensor(parameter.Type) && !TypeClassifier.HasAttribute(parameter, WellKnownNames.NoDerivativeAttribute));
        }

        TKind kind = ModelParser.IsTensor(target.ReturnType) ? TKind.Tensor : TKind.Float;
        var result = new TValue(kind, TSource.Temp, string.Empty, _slots++, true);
        Add(new TCallStmt(TakeComment(), result, receiver, target.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            target.Name, GeneratedNames.TapeType(target), _tapes++, values.ToEquatableArray(), differentiable.ToEquatableArray()));
        return result;
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
        string? text = _inlining.Count > 0 || usesIndex || readsComputedShape ? PortableText(operation.Syntax) : operation.Syntax.ToString();
        if (text is null)
        {
            return null;
        }

        Add(new TPassiveStmt(TakeComment(), slot, typeText, text));
        return new TValue(Kind(operation), TSource.Stored, string.Empty, slot, false);
    }

    /// <summary>
    /// The text of a passive expression of an inlined tensor function, valid in the caller's file: types and
    /// unqualified static members fully qualified, the function's parameters replaced by the caller's values.
    /// </summary>
    private string? PortableText(SyntaxNode expression)
    {
        var replacements = new Dictionary<SyntaxNode, string>();
        foreach (IdentifierNameSyntax name in expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            bool qualified = name.Parent is MemberAccessExpressionSyntax access && access.Name == name;
            ISymbol? symbol = _semanticModel.GetSymbolInfo(name, _cancellationToken).Symbol;
            if (symbol is not null and not IParameterSymbol and not ILocalSymbol && !_semanticModel.Compilation.IsSymbolAccessibleWithin(symbol, _method.ContainingType))
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
                        TSource.Temp => TPassiveStmt.TensorRef(tensor.Slot),
                        TSource.Field => "this." + tensor.Code,
                        _ => "(" + tensor.Code + ")",
                    };
                    break;
                case IParameterSymbol parameter when _locals.TryGetValue(parameter, out TValue? value) && value.Source is TSource.Passive or TSource.Stored:
                    replacements[name] = value.Source == TSource.Stored ? TPassiveStmt.StoredRef(value.Slot) : "(" + value.Code + ")";
                    break;
                case IParameterSymbol parameter when _locals.ContainsKey(parameter):
                    Unsupported(DiagnosticDescriptors.UnsupportedModelValue, name.GetLocation(), "the parameter '" + parameter.Name + "' inside the expression '" + SymbolText.OneLine(expression) + "'; it holds a computed value here, so use it directly as an argument");
                    return null;
                case ILocalSymbol local when _indexVariables.TryGetValue(local, out string? index):
                    replacements[name] = index;
                    break;
                case ILocalSymbol local when _locals.TryGetValue(local, out TValue? held) && held.Kind == TKind.Tensor:
                    // A tensor local has no C# variable in the generated code; only its shape can be read here.
                    Unsupported(DiagnosticDescriptors.UnsupportedModelValue, name.GetLocation(), "the tensor '" + local.Name + "' inside the expression '" + SymbolText.OneLine(expression) + "'; only its shape (Rows, Columns, Length) can be read in a float expression");
                    return null;
                case INamedTypeSymbol type when !qualified:
                    replacements[name] = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                    break;
                case { IsStatic: true, ContainingType: { } owner } member when !qualified && member is IFieldSymbol or IPropertySymbol or IMethodSymbol:
                    replacements[name] = owner.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + name.Identifier.Text;
                    break;
            }
        }

        // The expression's text (its span, as Syntax.ToString() gives it) with the replacements spliced in.
        string source = expression.ToString();
        var text = new System.Text.StringBuilder();
        int position = 0;
        foreach (KeyValuePair<SyntaxNode, string> replacement in replacements.OrderBy(r => r.Key.SpanStart))
        {
            int start = replacement.Key.SpanStart - expression.SpanStart;
            text.Append(source, position, start - position).Append(replacement.Value);
            position = replacement.Key.Span.End - expression.SpanStart;
        }

        return text.Append(source, position, source.Length - position).ToString();
    }

    private (string Vjp, string? Jvp, string? Into)? FindRegistration(IMethodSymbol target, SyntaxNode syntax)
    {
        string display = target.ContainingType.Name + "." + target.Name;
        string? firstProblem = null;
        foreach ((INamedTypeSymbol derivatives, string vjp, string? jvp, string? into) in Registrations.Find(_semanticModel.Compilation, target))
        {
            string derivativesName = derivatives.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            if (!HasVjp(target, derivatives, vjp))
            {
                firstProblem ??= derivatives.Name + "." + vjp;
                continue;
            }

            if (into is not null && !HasInto(target, into))
            {
                Report(DiagnosticDescriptors.BadCustomDerivative, syntax.GetLocation(), target.ContainingType.Name + "." + into, display,
                    "an overload of " + target.Name + "'s parameters followed by a Tensor destination, returning Tensor");
                return null;
            }

            if (jvp is not null && !HasJvp(target, derivatives, jvp))
            {
                Report(DiagnosticDescriptors.BadCustomDerivative, syntax.GetLocation(), derivatives.Name + "." + jvp, display,
                    DerivativeText(target, target.ReturnType.ToDisplayString() + (ModelParser.IsTensor(target.ReturnType) ? "?" : string.Empty), jvp, JvpResults, "t"));
                return null;
            }

            return (derivativesName + "." + vjp, jvp is null ? null : derivativesName + "." + jvp, into);
        }

        if (firstProblem is not null)
        {
            Report(DiagnosticDescriptors.BadCustomDerivative, syntax.GetLocation(), firstProblem, display,
                DerivativeText(target, "void", firstProblem.Substring(firstProblem.IndexOf('.') + 1), VjpResults, "d"));
            return null;
        }

        Report(DiagnosticDescriptors.NoDerivativeForCall, syntax.GetLocation(), display);
        return null;
    }

    private static readonly string[] VjpResults = { "result", "dResult" };
    private static readonly string[] JvpResults = { "result" };

    // VJP: (params..., R result, R dResult, Tensor? d per Tensor parameter) -> void
    private static bool HasVjp(IMethodSymbol target, INamedTypeSymbol derivatives, string name)
    {
        List<ITypeSymbol> expected = DerivativeTypes(target, VjpResults.Length);
        return derivatives.GetMembers(name).OfType<IMethodSymbol>().Any(m => m.IsStatic && m.ReturnsVoid && SameTypes(m.Parameters, expected));
    }

    // JVP: (params..., R result, Tensor? t per Tensor parameter) -> R (a tensor tangent may be null: zero)
    private static bool HasJvp(IMethodSymbol target, INamedTypeSymbol derivatives, string name)
    {
        List<ITypeSymbol> expected = DerivativeTypes(target, JvpResults.Length);
        return derivatives.GetMembers(name).OfType<IMethodSymbol>()
            .Any(m => m.IsStatic && SymbolEqualityComparer.Default.Equals(m.ReturnType, target.ReturnType) && SameTypes(m.Parameters, expected));
    }

    /// <summary>A derivative's parameter types: the op's own, then <paramref name="results"/> of its return type, then one per tensor parameter (its adjoint or tangent).</summary>
    private static List<ITypeSymbol> DerivativeTypes(IMethodSymbol target, int results)
        => target.Parameters.Select(p => p.Type).Concat(Enumerable.Repeat(target.ReturnType, results))
            .Concat(target.Parameters.Where(p => ModelParser.IsTensor(p.Type)).Select(p => p.Type)).ToList();

    /// <summary>The expected signature of a derivative, for AD0302: the op's parameters, the result names, then <c>Tensor? {prefix}{name}</c> per tensor parameter.</summary>
    private static string DerivativeText(IMethodSymbol target, string returns, string name, string[] results, string prefix)
        => "static " + returns + " " + name + "(" + string.Join(", ", target.Parameters.Select(p => p.Type.ToDisplayString()).Concat(results)
            .Concat(target.Parameters.Where(p => ModelParser.IsTensor(p.Type)).Select(p => "Tensor? " + prefix + p.Name))) + ")";

    private static bool HasInto(IMethodSymbol target, string name)
    {
        var expected = target.Parameters.Select(p => p.Type).Append(target.ReturnType).ToList();
        return target.ContainingType.GetMembers(name).OfType<IMethodSymbol>().Any(m => m.IsStatic && ModelParser.IsTensor(m.ReturnType) && SameTypes(m.Parameters, expected));
    }

    private static bool SameTypes(ImmutableArray<IParameterSymbol> parameters, List<ITypeSymbol> expected)
        => parameters.Length == expected.Count && parameters.Zip(expected, (p, t) => p.RefKind == RefKind.None && SymbolEqualityComparer.Default.Equals(p.Type, t)).All(ok => ok);

    // ---- helpers ----

    /// <summary>Whether the expression reads a tensor, a tracked local or calls something tensor-valued.</summary>
    /// <remarks>A tensor's shape (<c>x.Rows</c>, <c>h.Columns</c>, <c>Length</c>, <c>Rank</c>) never depends on its values: it is passive.</remarks>
    private bool InvolvesValues(IOperation operation)
        => !IsShapeRead(operation) && (
            operation is ILocalReferenceOperation local && _locals.ContainsKey(local.Local)
            || operation is IParameterReferenceOperation { Parameter: var p } && _locals.ContainsKey(p) && (ModelParser.IsTensor(p.Type) || p.Type.SpecialType == SpecialType.System_Single)
            || ModelParser.IsTensor(operation.Type) || operation is IInvocationOperation { TargetMethod: var m } && TypeClassifier.HasAttribute(m, WellKnownNames.DifferentiableAttribute)
            || operation.ChildOperations.Any(InvolvesValues));

    /// <summary>
    /// <c>t.Rows</c>, <c>t.Columns</c>, <c>t.Length</c> or <c>t.Rank</c> of a Tensor local or parameter, or of a field or
    /// property reached from <c>this</c> (<c>Hidden.Weight.Rows</c>; not from a loop's layer variable).
    /// </summary>
    private static bool IsShapeRead(IOperation operation)
        => operation is IPropertyReferenceOperation { Property.Name: var property, Instance: { } instance } && IsShapeProperty(property)
            && ModelParser.IsTensor(instance.Type) && (instance is ILocalReferenceOperation or IParameterReferenceOperation || RootedAtThis(instance));

    private static bool IsShapeProperty(string name) => name is "Rows" or "Columns" or "Length" or "Rank";

    private static bool RootedAtThis(IOperation? operation) => operation switch
    {
        null or IInstanceReferenceOperation => true,
        IFieldReferenceOperation field => RootedAtThis(field.Instance),
        IPropertyReferenceOperation { Arguments.Length: 0 } property => RootedAtThis(property.Instance),
        _ => false,
    };

    /// <summary>Every node of <paramref name="operation"/> outside the instances of shape reads.</summary>
    private static IEnumerable<IOperation> OutsideShapeReads(IOperation operation)
    {
        yield return operation;
        if (IsShapeRead(operation))
        {
            yield break;
        }

        foreach (IOperation child in operation.ChildOperations)
        {
            foreach (IOperation node in OutsideShapeReads(child))
            {
                yield return node;
            }
        }
    }

    private static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } conversion && SymbolEqualityComparer.Default.Equals(conversion.Type?.OriginalDefinition, conversion.Operand.Type?.OriginalDefinition))
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    private static TKind Kind(IOperation operation) => ModelParser.IsTensor(operation.Type) ? TKind.Tensor : TKind.Float;

    private static string ConstantText(object? value, ITypeSymbol? type) => value switch
    {
        null => "null",
        float f => Literal.Floating(f, ScalarKind.Float),
        double d => Literal.Floating(d, ScalarKind.Double),
        bool b => b ? "true" : "false",
        string s => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(s, true),
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        _ => "((" + type?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ")" + Convert.ToString(value, CultureInfo.InvariantCulture) + ")",
    };

    private void Add(TStmt statement) => _body.Add(statement);

    private string TakeComment()
    {
        string comment = _comment;
        _comment = string.Empty;
        return comment;
    }

    private TValue Failed() => new(TKind.Tensor, TSource.Passive, "default!", -1, false);

    private TValue? Unsupported(Location location, string what) => Unsupported(DiagnosticDescriptors.UnsupportedModelCode, location, what);

    /// <summary>One of the model-code diagnostics (AD0108 statements, AD0111 control flow, AD0112 values, AD0113 calls), naming the method and the problem.</summary>
    private TValue? Unsupported(DiagnosticDescriptor descriptor, Location location, string what)
    {
        Report(descriptor, location, _method.Name, what);
        return null;
    }

    private void Report(DiagnosticDescriptor descriptor, Location location, params object[] arguments)
        => _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    private static string Describe(IOperation operation) => operation.Kind.ToString().ToLowerInvariant();
}
