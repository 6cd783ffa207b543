using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Transforms;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

internal sealed partial class MethodParser
{
    // The void helpers being inlined, innermost last (a helper that reaches itself again is recursive).
    private readonly List<IMethodSymbol> _inlining = new();

    // The method or inlined helper being parsed returns an array, and the arrays its returns return.
    private bool _arrayResult;
    private List<VarInfo> _returnedArrays = new();

    // Calls of array-returning helpers already inlined (an operation may be asked for its array more than once).
    private readonly Dictionary<IOperation, VarInfo> _inlinedArrays = new();

    // Whether each helper called so far has errors of its own (its body is parsed on its own once, not at every call).
    private readonly Dictionary<IMethodSymbol, bool> _helperHasErrors = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// A call of a <c>[Differentiable]</c> method that returns <c>void</c> and writes its results into a span or array
    /// argument (a vector-valued method, or any helper that fills an array), or of a local function: its body is parsed
    /// in place, each scalar argument bound to a fresh local, each array argument to the caller's array (the helper
    /// writes the caller's elements, as the call does), its own locals fresh for every call, and its <c>return</c>
    /// ending only the helper. A local function that returns a value (<paramref name="result"/>) leaves it in a fresh
    /// local, whose name is returned. The caller is then one method of the IR, and every analysis and pass sees through
    /// the helper.
    /// </summary>
    private string? Inline(IInvocationOperation invocation, string comment, List<Stmt> output, ScalarKind? result = null)
        => InlineCall(invocation.TargetMethod, invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToArray(), invocation, comment, output, result);

    /// <summary>What makes a method that returns a scalar differentiated through its body: the first parameter of a shape
    /// its derivatives do not take in a call (a matrix, a jagged array, a struct, an array of structs).</summary>
    private static string InlinedFor(IMethodSymbol helper)
    {
        foreach (IParameterSymbol parameter in helper.Parameters)
        {
            if (TypeClassifier.TryMatrix(parameter.Type, out _))
            {
                return "a method that takes a two-dimensional array";
            }

            if (TypeClassifier.TryJagged(parameter.Type, out _, out bool matrices))
            {
                return matrices ? "a method that takes an array of matrices" : "a method that takes a jagged array";
            }

            if (StructShape.Of(parameter.Type) is not null)
            {
                return "a method that takes a struct";
            }

            if (parameter.Type is IArrayTypeSymbol { ElementType: { } element } && StructShape.Of(element) is not null)
            {
                return "a method that takes an array of structs";
            }
        }

        return "a method differentiated through its body";
    }

    /// <summary>
    /// <see cref="Inline"/> for any method with a body in source: a helper, a local function, or a struct's constructor,
    /// operator, method or property getter, with <paramref name="self"/> the value <c>this</c> is (by reference: a
    /// method that changes its struct changes the caller's) and <paramref name="structResult"/> where a method that
    /// returns a struct leaves it.
    /// </summary>
    private string? InlineCall(IMethodSymbol helper, IOperation[] arguments, IOperation invocation, string comment, List<Stmt> output, ScalarKind? result = null,
        StructValue? self = null, StructValue? structResult = null)
    {
        bool arrayResult = TypeClassifier.ReturnsArray(helper);
        // A local function, or a member of a struct (its constructors, operators, methods, getters): part of the code it
        // is called from, its problems reported where it is inlined.
        bool localFunction = helper.MethodKind == MethodKind.LocalFunction || StructShape.Of(helper.ContainingType) is not null;
        string display = helper.MethodKind == MethodKind.LocalFunction ? helper.Name : (helper.ContainingType?.Name ?? "?") + "." + helper.Name;
        SyntaxNode? syntax = helper.DeclaringSyntaxReferences.Length == 1 ? helper.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) : null;
        if (syntax is not (BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null } or LocalFunctionStatementSyntax { Body: not null }
            or LocalFunctionStatementSyntax { ExpressionBody: not null } or AccessorDeclarationSyntax { Body: not null } or AccessorDeclarationSyntax { ExpressionBody: not null } or ArrowExpressionClauseSyntax)
            || syntax is ConstructorDeclarationSyntax { Initializer: not null })
        {
            Report(DiagnosticDescriptors.CalleeNotGenerated, invocation.Syntax.GetLocation(), display,
                syntax is ConstructorDeclarationSyntax
                    ? "a constructor that calls another (: this(...)) is not supported; set the members in its own body"
                    : "it is differentiated through its body, and this one's is not in this project");
            return null;
        }

        if (SymbolEqualityComparer.Default.Equals(helper, _method) || _inlining.Any(h => SymbolEqualityComparer.Default.Equals(h, helper)))
        {
            string what = helper.MethodKind == MethodKind.LocalFunction ? "a local function" : StructShape.Of(helper.ContainingType) is not null ? "a member of a struct" : helper.ReturnsVoid ? "a helper that returns void" : arrayResult ? "a helper that returns an array" : InlinedFor(helper);
            Report(DiagnosticDescriptors.UnsupportedStatement, invocation.Syntax.GetLocation(), comment, localFunction ? "recursive local function" : helper.ReturnsVoid ? "recursive void call" : "recursive call",
                what + " is differentiated through its body, so it cannot call itself; write the recursion as a loop"
                + (localFunction || helper.ReturnsVoid ? ", or as a [Differentiable] static method" : string.Empty));
            return null;
        }

        if (!localFunction && !SignatureRules.IsGenerated(helper))
        {
            Report(DiagnosticDescriptors.CalleeNotGenerated, invocation.Syntax.GetLocation(), display, "see the errors on its declaration");
            return null;
        }

        SemanticModel model = helper.DeclaringSyntaxReferences[0].SyntaxTree == _semanticModel.SyntaxTree
            ? _semanticModel
            : _semanticModel.Compilation.GetSemanticModel(syntax.SyntaxTree);

        // The helper's own problems are reported on the helper; a call of a helper with problems is AD0110. (A local
        // function's problems are reported where it is inlined: it is part of the method.)
        if (!localFunction && _inlining.Count == 0 && syntax is MethodDeclarationSyntax helperSyntax && HelperHasErrors(helper, model, helperSyntax))
        {
            Report(DiagnosticDescriptors.CalleeNotGenerated, invocation.Syntax.GetLocation(), display, "see the errors on its declaration");
            return null;
        }

        if (result is not null && WritesOutside(helper, model.GetOperation(syntax, _cancellationToken)) is { } written)
        {
            // Its writes would move before the rest of the caller's expression, which C# evaluates first.
            Report(DiagnosticDescriptors.UnsupportedStatement, invocation.Syntax.GetLocation(), comment, "local function call",
                "'" + helper.Name + "' returns a value and writes the method's variable '" + written + "'; return what it computes instead, or make it return void");
            return null;
        }

        var statements = new List<Stmt>();
        var bound = new List<ISymbol>();

        // The parameters are bound once every argument is parsed: an argument may call this helper too (MatMul(a,
        // MatMul(b, c))), and that inner call binds and unbinds the same parameters.
        var bindings = new List<System.Action>();
        for (int i = 0; i < helper.Parameters.Length; i++)
        {
            IParameterSymbol parameter = helper.Parameters[i];
            TypeClassifier.TryClassify(parameter.Type, out ScalarKind kind, out ShapeKind shape);
            if (StructShape.ArrayOf(parameter.Type) is not null && parameter.RefKind == RefKind.None)
            {
                // An array of structs: bound to the caller's (its flat array), whose elements the helper reads and writes.
                if (SymbolOf(Unconverted(arguments[i])) is not { } arraySymbol || !_variables.TryGetValue(arraySymbol, out VarInfo? elements) || !_structArrays.ContainsKey(elements.Name))
                {
                    Unsupported(arguments[i], "arguments for an array of structs other than such an array variable", "pass a parameter or local array of the structs");
                    Unbind(bound);
                    return null;
                }

                bindings.Add(() => _variables[parameter] = elements);
                bound.Add(parameter);
                continue;
            }

            if (StructShape.Of(parameter.Type) is { } structShape && parameter.RefKind == RefKind.None)
            {
                // A struct parameter: a copy of the argument (a struct is passed by value).
                if (ParseStruct(arguments[i], statements, out bool fresh) is not { } argument)
                {
                    Unbind(bound);
                    return null;
                }

                StructValue copy = fresh ? argument : NewStruct(structShape, parameter.Name.TrimStart('@'), VarRole.Local, false);
                CopyStruct(argument, copy, comment, statements, declaration: true);
                bindings.Add(() => _structs[parameter] = copy);
                bound.Add(parameter);
                continue;
            }

            if (TypeClassifier.TryMatrix(parameter.Type, out ScalarKind elementKind))
            {
                // A T[,] parameter: bound to the caller's matrix (or one of a T[][,]), whose counts it reads.
                if (ViewOf(arguments[i]) is not { IsMatrix: true } matrix || matrix.Base.Kind != elementKind)
                {
                    Unsupported(arguments[i], "matrix arguments other than a two-dimensional array variable of the same element type",
                        "pass a parameter or local T[,] of the caller, an element of a T[][,], or the result of a helper that returns one");
                    Unbind(bound);
                    return null;
                }

                bindings.Add(() => BindView(parameter, matrix, comment, statements));
                bound.Add(parameter);
                continue;
            }

            if (TypeClassifier.TryJagged(parameter.Type, out elementKind, out bool matrices))
            {
                // A T[][] or T[][,] parameter: bound to the caller's, whose rows it reads.
                if (JaggedOf(arguments[i]) is not { } jagged || jagged.Array.Kind != elementKind || (jagged.Info.RowCounts is not null) != matrices)
                {
                    Unsupported(arguments[i], "jagged array arguments other than a jagged array parameter of the same type",
                        "pass a T[][] or T[][,] parameter of the caller");
                    Unbind(bound);
                    return null;
                }

                bindings.Add(() => _variables[parameter] = jagged.Array);
                bound.Add(parameter);
                continue;
            }

            if (parameter.RefKind == RefKind.Out)
            {
                // out double a: the helper's writes go to the caller's variable (declared here for out double a).
                IOperation target = arguments[i] is IDeclarationExpressionOperation declaration ? declaration.Expression : arguments[i];
                if (target is ILocalReferenceOperation { IsDeclaration: true, Local: var declared })
                {
                    DeclareLocal(declared, kind, ShapeKind.Scalar);
                }

                if (target is IDiscardOperation)
                {
                    var discard = new VarInfo(_names.Fresh("__discard"), kind, ShapeKind.Scalar, VarRole.Local, false);
                    _locals.Add(discard);
                    bindings.Add(() => _variables[parameter] = discard);
                    bound.Add(parameter);
                    continue;
                }

                if (ParseTarget(target, comment) is not { Index: null } || SymbolOf(target) is not { } outSymbol || !_variables.TryGetValue(outSymbol, out VarInfo? variable))
                {
                    Unsupported(arguments[i], "out arguments other than a local variable", "pass a local, out double a, and copy it where it goes after the call");
                    Unbind(bound);
                    return null;
                }

                bindings.Add(() => _variables[parameter] = variable);
                bound.Add(parameter);
                continue;
            }

            if (shape == ShapeKind.Scalar)
            {
                if (ParseValue(arguments[i], kind) is not { } value)
                {
                    Unbind(bound);
                    return null;
                }

                // [NoDerivative] on the helper's parameter: the value passes, its derivative does not.
                if (TypeClassifier.IsFloating(kind) && TypeClassifier.HasAttribute(parameter, WellKnownNames.NoDerivativeAttribute))
                {
                    value = new StopGradientExpr(kind, value, "[NoDerivative]");
                }

                var local = new VarInfo(_names.Fresh(parameter.Name.TrimStart('@')), kind, ShapeKind.Scalar, VarRole.Local, false);
                _locals.Add(local);
                statements.Add(new AssignStmt(comment, local.Name, null, value, IsDeclaration: true));
                bindings.Add(() => _variables[parameter] = local);
                bound.Add(parameter);
                continue;
            }

            if (ViewOf(arguments[i]) is not { IsMatrix: false } array || array.Base.Kind != kind)
            {
                Unsupported(arguments[i], "array arguments of a helper other than an array or span variable of the same element type",
                    "pass a parameter or local array of the caller, or a row of a jagged array, directly: the helper writes its elements");
                Unbind(bound);
                return null;
            }

            bindings.Add(() => BindView(parameter, array, comment, statements));
            bound.Add(parameter);
        }

        foreach (System.Action bind in bindings)
        {
            bind();
        }

        var body = new List<Stmt>();
        var before = new HashSet<ISymbol>(_variables.Keys, SymbolEqualityComparer.Default);
        var beforeStructs = new HashSet<ISymbol>(_structs.Keys.Where(k => !bound.Contains(k, SymbolEqualityComparer.Default)), SymbolEqualityComparer.Default);
        SemanticModel caller = _semanticModel;
        ScalarKind callerReturn = _returnKind;
        List<Stmt>? callerBefore = _before;
        bool callerArrayResult = _arrayResult;
        List<VarInfo> callerReturnedArrays = _returnedArrays;
        var returnedArrays = new List<VarInfo>();
        StructValue? callerSelf = _self;
        StructValue? callerStructResult = _structResult;
        _semanticModel = model;
        _returnKind = result ?? ScalarKind.Double;
        _before = null;
        _arrayResult = arrayResult;
        _returnedArrays = returnedArrays;
        _self = self;
        _structResult = structResult;
        _inlining.Add(helper);
        try
        {
            IBlockOperation? block = model.GetOperation(syntax, _cancellationToken) switch
            {
                IMethodBodyOperation methodBody => (methodBody.BlockBody ?? methodBody.ExpressionBody) as IBlockOperation,
                IConstructorBodyOperation constructorBody => (constructorBody.BlockBody ?? constructorBody.ExpressionBody) as IBlockOperation,
                ILocalFunctionOperation function => function.Body ?? function.IgnoredBody,
                IBlockOperation arrow => arrow,
                _ => null,
            };
            if (block is not null)
            {
                ParseStatement(block, body);
            }
        }
        finally
        {
            _semanticModel = caller;
            _self = callerSelf;
            _structResult = callerStructResult;
            _returnKind = callerReturn;
            _before = callerBefore;
            _arrayResult = callerArrayResult;
            _returnedArrays = callerReturnedArrays;
            _inlining.RemoveAt(_inlining.Count - 1);

            // The helper's locals are fresh at every call: two calls never share one (the reverse sweep would then
            // take the second call's declaration for the only one and not keep the first's value).
            foreach (ISymbol added in _variables.Keys.Where(k => !before.Contains(k)).ToList())
            {
                _variables.Remove(added);
                _views.Remove(added);
            }

            foreach (ISymbol added in _structs.Keys.Where(k => !beforeStructs.Contains(k)).ToList())
            {
                _structs.Remove(added);
            }

            Unbind(bound);
        }

        // Its return; (and break, continue) lowered on their own, so that a return ends the helper, not the caller.
        string returned = AddSynthetic("__returnedFrom" + new string(helper.Name.Where(c => char.IsLetterOrDigit(c) || c == '_').ToArray()), result ?? ScalarKind.Double);
        statements.AddRange(new ControlFlowLowering(returned, (name, variableKind) => AddSynthetic(name, variableKind)).LowerInlined(body));
        output.AddRange(statements);
        if (arrayResult)
        {
            // The caller's value is the array the helper returns: one array on every path.
            if (returnedArrays.Distinct().Count() != 1)
            {
                Report(DiagnosticDescriptors.UnsupportedStatement, invocation.Syntax.GetLocation(), comment, "array-returning helper call",
                    "'" + helper.Name + "' returns " + (returnedArrays.Count == 0 ? "no array it can follow" : "different arrays on different paths") + "; make it return one local array, filled as each path needs");
                return null;
            }

            return returnedArrays[0].Name;
        }

        return returned;
    }

    /// <summary>
    /// A call of a <c>[Differentiable]</c> helper that returns an array (<c>double[] c = Scale(a, 2);</c>, or an argument
    /// <c>Sum(Scale(a, 2))</c>): inlined before the statement being parsed, the caller's value the array it returns
    /// (one of its local arrays, made where it is called, or an array it was given). Null, reported, where there is no
    /// such place.
    /// </summary>
    private VarInfo? InlineArrayCall(IInvocationOperation invocation, List<Stmt>? before)
    {
        if (_inlinedArrays.TryGetValue(invocation, out VarInfo? known))
        {
            return known;
        }

        if (before is null)
        {
            Unsupported(invocation, "calls of array-returning helpers inside a branch or a condition",
                "call it in a statement of its own, double[] r = " + invocation.TargetMethod.Name + "(...);, and use r");
            return null;
        }

        // Its array arguments may be calls of such helpers too, inlined before it.
        List<Stmt>? outer = _before;
        _before = before;
        string? name;
        try
        {
            name = Inline(invocation, CommentOf(invocation.Syntax), before);
        }
        finally
        {
            _before = outer;
        }

        if (name is null)
        {
            return null;
        }

        VarInfo array = _locals.Concat(_variables.Values).First(v => v.Name == name);
        _inlinedArrays[invocation] = array;
        return array;
    }

    private static bool IsArrayHelperCall(IOperation operation, out IInvocationOperation invocation)
    {
        invocation = (operation as IInvocationOperation)!;
        return invocation is { TargetMethod: var target } && TypeClassifier.ReturnsArray(target) && TypeClassifier.HasAttribute(target, WellKnownNames.DifferentiableAttribute);
    }

    /// <summary>
    /// A call of a local function that returns a value, inside an expression: inlined before the statement being parsed
    /// (<see cref="_before"/>), its value the local it leaves. Where the expression runs only sometimes, there is no such
    /// place, and the call is reported.
    /// </summary>
    private Expr? InlineLocalFunction(IInvocationOperation invocation, ScalarKind kind)
    {
        if (_before is not { } before)
        {
            return Unsupported(invocation, invocation.TargetMethod.MethodKind == MethodKind.LocalFunction
                    ? "calls of local functions inside a branch or a condition"
                    : "calls of methods that take a two-dimensional array inside a branch or a condition",
                "call it in a statement of its own, double t = " + invocation.TargetMethod.Name + "(...);, and use t");
        }

        return Inline(invocation, CommentOf(invocation.Syntax), before, kind) is { } returned ? new VarExpr(kind, returned) : null;
    }

    // A variable that a local function writes and does not declare (a local or parameter of the method), or null.
    private static string? WritesOutside(IMethodSymbol function, IOperation? body)
    {
        foreach (IOperation node in body?.DescendantsAndSelf() ?? Enumerable.Empty<IOperation>())
        {
            IOperation? target = node switch
            {
                ISimpleAssignmentOperation a => a.Target,
                ICompoundAssignmentOperation c => c.Target,
                IIncrementOrDecrementOperation i => i.Target,
                _ => null,
            };
            while (target is IArrayElementReferenceOperation element)
            {
                target = element.ArrayReference;
            }

            if (target is not null && SymbolOf(target) is { } symbol && !IsWithin(symbol.ContainingSymbol, function))
            {
                return symbol.Name;
            }
        }

        return null;
    }

    private static bool IsWithin(ISymbol? symbol, IMethodSymbol function)
    {
        for (; symbol is not null; symbol = symbol.ContainingSymbol)
        {
            if (SymbolEqualityComparer.Default.Equals(symbol, function))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The local or parameter an operation reads or writes, or null.</summary>
    private static ISymbol? SymbolOf(IOperation operation) => operation switch
    {
        ILocalReferenceOperation l => l.Local,
        IParameterReferenceOperation p => p.Parameter,
        _ => null,
    };

    private bool HelperHasErrors(IMethodSymbol helper, SemanticModel model, MethodDeclarationSyntax syntax)
    {
        if (!_helperHasErrors.TryGetValue(helper, out bool errors))
        {
            errors = new MethodParser(model, helper, _cancellationToken).Run(syntax).Diagnostics.Any(d => d.IsError);
            _helperHasErrors[helper] = errors;
        }

        return errors;
    }

    private void Unbind(List<ISymbol> bound)
    {
        foreach (ISymbol parameter in bound)
        {
            _variables.Remove(parameter);
            _views.Remove(parameter);
            _structs.Remove(parameter);
        }
    }
}
