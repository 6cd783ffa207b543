using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Transforms;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

/// <summary>
/// Turns one <c>[Differentiable]</c> method into the equatable IR: walks the IOperation tree of its body
/// (overloads, conversions, constants and compound assignments already resolved by Roslyn), reports what it
/// cannot differentiate, and lowers break/continue/return into flags. One instance per method.
/// </summary>
internal sealed partial class MethodParser
{
    // The model of the tree being parsed: the method's, or an inlined helper's while its body is parsed.
    private SemanticModel _semanticModel;
    // The method (rebound when its body calls generated derivatives: see DeclareGeneratedDerivatives).
    private IMethodSymbol _method;
    private readonly CancellationToken _cancellationToken;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly Dictionary<ISymbol, VarInfo> _variables = new(SymbolEqualityComparer.Default);
    private readonly List<VarInfo> _locals = new();

    // Locals and local functions already reported: their uses get no second, cascading diagnostic.
    private readonly HashSet<ISymbol> _reported = new(SymbolEqualityComparer.Default);
    private readonly NameSet _names = new();
    private readonly List<(Expr Node, Location Location, string Function)> _piecewise = new();
    private ScalarKind _returnKind;
    private bool _vectorize = true;

    // [Differentiable(SecondOrder = true)]: every call needs a callee with second derivatives (AD0114).
    private bool _secondOrder;

    // The callee of this method's calls of itself, once one is parsed (LinearRecursion may turn the recursion into loops).
    private CalleeInfo? _selfCallee;

    // Calls of functions without a derivative taken as constants: their arguments, where they are, and their names.
    private readonly List<(EquatableArray<Expr> Arguments, Location Location, string Display)> _constantCalls = new();

    // A vector-valued method: its [Output] parameter, and the local array that holds its values in the IR.
    private VarInfo? _outputParameter;
    private VarInfo? _output;

    // A method that returns a T[]: the span parameter of the IR's own that holds its results (see IsVectorResult).
    private VarInfo? _resultParameter;

    // Depth of Ad.StopGradient operands being parsed: calls in them need no derivative.
    private int _stopGradient;

    // Nesting of loops and branches, for the "local arrays at top level" rule.
    private int _nesting;

    private MethodParser(SemanticModel semanticModel, IMethodSymbol method, CancellationToken cancellationToken)
    {
        _semanticModel = semanticModel;
        _method = method;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The parse step of the pipeline. Never throws: a failure becomes AD0901 and stub derivatives.</summary>
    public static ParseResult<DifferentiableMethod> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || context.TargetNode is not MethodDeclarationSyntax syntax)
        {
            return ParseResult<DifferentiableMethod>.None;
        }

        // Declaration problems are the analyzer's to report; the generator stays quiet on them.
        // Model methods and tensor functions have their own parser (TensorMethodParser).
        if (ModelRules.IsTensorCode(method) || !SignatureRules.IsGenerated(method))
        {
            return ParseResult<DifferentiableMethod>.None;
        }

        var parser = new MethodParser(context.SemanticModel, method, cancellationToken);
        foreach (AttributeData attribute in context.Attributes)
        {
            if (attribute.NamedArguments.FirstOrDefault(a => a.Key == "Vectorize").Value.Value is false)
            {
                parser._vectorize = false;
            }

            if (attribute.NamedArguments.FirstOrDefault(a => a.Key == "SecondOrder").Value.Value is true)
            {
                parser._secondOrder = true;
            }
        }

        try
        {
            return parser.Run(syntax);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            DiagnosticInfo internalError = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, syntax.Identifier.GetLocation(),
                method.Name, exception.GetType().Name + ": " + exception.Message);
            return new ParseResult<DifferentiableMethod>(parser.BuildModel(EquatableArray<Stmt>.Empty, "__result", isStub: true), new[] { internalError }.ToEquatableArray());
        }
    }

    private ParseResult<DifferentiableMethod> Run(MethodDeclarationSyntax syntax)
    {
        DeclareGeneratedDerivatives(syntax);
        TypeClassifier.TryScalar(_method.ReturnType, out _returnKind);
        foreach (IParameterSymbol parameter in _method.Parameters)
        {
            if (DeclareStructArrayParameter(parameter))
            {
                continue;
            }

            if (StructShape.Of(parameter.Type) is not null)
            {
                // One parameter per field (DeclareStructParameters), named once every name of the user's is taken.
                _names.Reserve(parameter.Name);
                continue;
            }

            TypeClassifier.TryClassify(parameter.Type, out ScalarKind kind, out ShapeKind shape);
            if (TypeClassifier.TryMatrix(parameter.Type, out ScalarKind elementKind) || TypeClassifier.TryJagged(parameter.Type, out elementKind, out _))
            {
                (kind, shape) = (elementKind, ShapeKind.ReadOnlySpan);
            }

            bool output = _method.ReturnsVoid && TypeClassifier.HasAttribute(parameter, WellKnownNames.OutputAttribute);
            bool differentiable = !output && TypeClassifier.IsFloating(kind) && !TypeClassifier.HasAttribute(parameter, WellKnownNames.NoDerivativeAttribute);
            _variables[parameter] = new VarInfo(_names.Reserve(parameter.Name), kind, shape, VarRole.Parameter, differentiable);
            if (output)
            {
                // The body writes a local array of the span's length; the generated methods copy it out.
                _outputParameter = _variables[parameter];
                _returnKind = kind;
            }
        }

        DeclareMatrixParameters();
        DeclareJaggedParameters();
        DeclareStructParameters();
        if (StructShape.Of(_method.ReturnType) is { } returnedStruct)
        {
            // A helper that returns a struct: parsed on its own for its diagnostics, its returns into a value of its own.
            _structResult = NewStruct(returnedStruct, "__result", VarRole.Local, false);
        }
        _arrayResult = TypeClassifier.ReturnsArray(_method);
        if (TypeClassifier.IsVectorResult(_method) && _inlining.Count == 0)
        {
            // double[] F(...): a vector-valued method whose results are the array it returns, held in a span parameter
            // of the IR's own (the public derivatives call F for the array, then the derivatives over that span).
            ScalarKind resultKind = _structResult is not null ? _structResult.Shape.UniformKind!.Value : default;
            if (_method.ReturnType is IArrayTypeSymbol returnedArray)
            {
                TypeClassifier.TryScalar(returnedArray.ElementType, out resultKind);
            }

            _outputParameter = new VarInfo(_names.Fresh("result"), resultKind, ShapeKind.Span, VarRole.Parameter, false);
            _resultParameter = _outputParameter;
            _returnKind = resultKind;
        }

        if ((_method.ReturnsVoid || _arrayResult || _structResult is not null) && _outputParameter is null)
        {
            // A void helper: no result of its own (its returns set a dummy one).
            _returnKind = ScalarKind.Double;
        }

        var body = new List<Stmt>();
        if (_outputParameter is { } outputParameter)
        {
            var values = new VarInfo(_names.Fresh("__" + outputParameter.Name.TrimStart('@')), outputParameter.Kind, ShapeKind.Span, VarRole.Local, false);
            _locals.Add(values);
            _output = values;
            if (_resultParameter is null)
            {
                IParameterSymbol symbol = _method.Parameters.First(p => _variables.TryGetValue(p, out VarInfo? v) && ReferenceEquals(v, outputParameter));
                _variables[symbol] = values;
            }
            string comment = "the [Output] " + outputParameter.Name + "'s values";
            body.Add(new ArrayDeclStmt(comment, values.Name, new LengthExpr(outputParameter.Name)));

            // Starting from what the caller's span holds, as the method itself does: a result it does not write keeps
            // its value (with a zero derivative), and one it reads before writing reads the caller's.
            CountedLoop("__k", comment, new LengthExpr(outputParameter.Name), body,
                (counter, copy) => copy.Add(new AssignStmt(comment, values.Name, counter, new ElemExpr(outputParameter.Kind, outputParameter.Name, counter), IsDeclaration: false)));
        }

        // Code that does not bind is the compiler's to report (CS0103 and its kin): an AD diagnostic beside it would give
        // a second, wrong reason. The one exception binds only after generation: a call of a generated derivative (AD0115).
        SyntaxNode? unboundBody = (SyntaxNode?)syntax.Body ?? syntax.ExpressionBody;
        if (unboundBody is not null && _semanticModel.GetDiagnostics(unboundBody.Span, _cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            foreach (InvocationExpressionSyntax call in unboundBody.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
            {
                if (_semanticModel.GetOperation(call, _cancellationToken) is { } callOperation)
                {
                    ReportNestedDerivative(callOperation);
                }
            }

            string unbound = AddSynthetic("__result", _returnKind);
            return new ParseResult<DifferentiableMethod>(BuildModel(EquatableArray<Stmt>.Empty, unbound, isStub: true), _diagnostics.ToEquatableArray());
        }

        IOperation? operation = _semanticModel.GetOperation(syntax, _cancellationToken);
        if (operation is IMethodBodyOperation methodBody && (methodBody.BlockBody ?? methodBody.ExpressionBody) is IBlockOperation block)
        {
            ParseStatement(block, body);
        }
        else
        {
            Report(DiagnosticDescriptors.UnsupportedStatement, syntax.Identifier.GetLocation(), _method.Name, "this method's", "give it a block or expression body");
        }

        if (_selfCallee is not null && !_diagnostics.Any(d => d.IsError) && _extraParameters.Count == 0 && _outputParameter is null
            && TypeClassifier.IsFloating(_returnKind) && _method.Parameters.All(p => p.RefKind == RefKind.None && _variables.ContainsKey(p))
            && LinearRecursion.Loop(body, _selfCallee, _method.Parameters.Select(p => _variables[p]).ToList(), _returnKind, (name, kind) => AddSynthetic(name, kind)) is { } loops)
        {
            body = loops;
        }

        string result = AddSynthetic("__result", _returnKind);
        var lowering = new ControlFlowLowering(result, (name, kind) => AddSynthetic(name, kind));
        List<Stmt> lifted = CallLifting.Lift(ConditionalCallLifting.Lift(body), (name, kind) => AddSynthetic(name, kind));
        EquatableArray<Stmt> lowered = InvariantHoisting.Hoist(lowering.Lower(lifted), (name, kind) => AddSynthetic(name, kind), (stem, kind) => AddLocalArray(stem, kind).Name)
            .ToEquatableArray();

        bool hasErrors = _diagnostics.Any(d => d.IsError);
        DifferentiableMethod model = BuildModel(hasErrors ? EquatableArray<Stmt>.Empty : lowered, result, hasErrors);
        if (!hasErrors)
        {
            // A call without a derivative is a constant when no argument depends on a differentiable value; else AD0104.
            var activity = ActivityAnalysis.Run(model);
            foreach ((EquatableArray<Expr> arguments, Location location, string display) in _constantCalls)
            {
                if (arguments.Any(activity.IsVaried))
                {
                    Report(DiagnosticDescriptors.NoDerivativeForCall, location, display);
                }
            }

            if (_diagnostics.Any(d => d.IsError))
            {
                model = BuildModel(EquatableArray<Stmt>.Empty, result, isStub: true);
            }
            else
            {
                ReportActivityWarnings(model, activity, syntax);
            }
        }

        return new ParseResult<DifferentiableMethod>(model, _diagnostics.ToEquatableArray());
    }

    // Warnings that need activity: a constant result (AD0201) and piecewise-constant functions of active values (AD0301).
    private void ReportActivityWarnings(DifferentiableMethod model, ActivityAnalysis activity, MethodDeclarationSyntax syntax)
    {
        if (!model.InlineOnly && !activity.IsActive(model.Output ?? model.ResultName))
        {
            Report(DiagnosticDescriptors.ConstantResult, syntax.Identifier.GetLocation(), _method.Name);
        }

        foreach ((Expr node, Location location, string function) in _piecewise)
        {
            if (node is StopGradientExpr { Operand: MathCallExpr call } && call.Args.Any(activity.IsActive))
            {
                Report(DiagnosticDescriptors.PiecewiseConstant, location, function);
            }
        }
    }

    private DifferentiableMethod BuildModel(EquatableArray<Stmt> body, string result, bool isStub)
    {
        (string ns, EquatableArray<ContainingType> types) = SymbolText.Containers(_method.ContainingType);
        IEnumerable<VarInfo> declared = _method.Parameters.SelectMany(p => _structParameters.TryGetValue(p, out StructValue? fields) ? fields.Leaves()
                : new[] { ReferenceEquals(_variables[p], _output) ? _outputParameter! : _variables[p] })
            .SelectMany(p => _extraParameters.TryGetValue(p.Name, out VarInfo[]? extra) ? new[] { p }.Concat(extra) : new[] { p });
        var parameters = (_resultParameter is null ? declared : declared.Append(_resultParameter)).ToEquatableArray();
        var arrays = _method.Parameters.Select(p => _structParameters.TryGetValue(p, out StructValue? fields)
                ? new FlatParameter(p.Name, FlatShape.Struct, fields.Leaves().Select(l => l.Name).ToEquatableArray(), fields.Shape.Template(),
                    fields.Shape.Leaves().Select(l => l.Path).ToEquatableArray())
                : _structArrays.TryGetValue(_variables[p].Name, out StructShape? elements)
                    ? new FlatParameter(_variables[p].Name, FlatShape.StructArray, EquatableArray<string>.Empty, elements.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                        new[] { StructShape.ArrayOf(p.Type)!.Value.Container }.ToEquatableArray())
                : _extraParameters.TryGetValue(_variables[p].Name, out VarInfo[]? extra)
                    ? new FlatParameter(_variables[p].Name, _matrices.ContainsKey(_variables[p].Name) ? FlatShape.Matrix : _jagged[_variables[p].Name].RowCounts is null ? FlatShape.Jagged : FlatShape.JaggedMatrices,
                        extra.Select(e => e.Name).ToEquatableArray())
                    : null)
            .Where(f => f is not null).Select(f => f!).ToEquatableArray();
        string hint = GeneratedNames.HintName(ns, types, _method, "Derivatives.g.cs");
        return new DifferentiableMethod(hint, ns, types, _method.Name, SymbolText.Accessibility(_method.DeclaredAccessibility),
            _returnKind, parameters, _locals.ToEquatableArray(), body, result, isStub, _vectorize, _secondOrder, _output?.Name, _outputParameter?.Name, (_method.ReturnsVoid || TypeClassifier.ReturnsArray(_method) || StructShape.Of(_method.ReturnType) is not null) && _output is null, _usings.ToEquatableArray(), arrays,
            ArrayResult: _resultParameter is not null,
            Result: _resultParameter is not null && _method.ReturnType is IArrayTypeSymbol { Rank: 2 }
                ? new FlatParameter("matrix", FlatShape.Matrix, EquatableArray<string>.Empty)
                : _resultParameter is not null && _structResult is not null
                ? new FlatParameter(_structResult.Shape.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), FlatShape.Struct, EquatableArray<string>.Empty,
                    _structResult.Shape.Template(), _structResult.Shape.Leaves().Select(l => l.Path).ToEquatableArray())
                : null);
    }

    /// <summary>
    /// <c>for (int k = 0; k &lt; count; k++) { body }</c> over a fresh synthetic counter named from <paramref name="stem"/>:
    /// <paramref name="body"/> writes the loop's statements, given the counter.
    /// </summary>
    private void CountedLoop(string stem, string comment, Expr count, List<Stmt> output, System.Action<VarExpr, List<Stmt>> body)
    {
        string k = AddSynthetic(stem, ScalarKind.Int);
        var statements = new List<Stmt>();
        body(new VarExpr(ScalarKind.Int, k), statements);
        output.AddRange(Emit.Build.CountedLoop(comment, k, count, statements));
    }

    private string AddSynthetic(string name, ScalarKind kind)
    {
        var info = new VarInfo(_names.Fresh(name), kind, ShapeKind.Scalar, VarRole.Synthetic, false);
        _locals.Add(info);
        return info.Name;
    }

    private VarInfo DeclareLocal(ILocalSymbol local, ScalarKind kind, ShapeKind shape)
    {
        if (_variables.TryGetValue(local, out VarInfo? existing))
        {
            return existing;
        }

        string baseName = local.Name.StartsWith("__", StringComparison.Ordinal) ? "u" + local.Name : local.Name;
        var info = new VarInfo(_names.Fresh(baseName), kind, shape, VarRole.Local, false);
        _variables[local] = info;
        _locals.Add(info);
        return info;
    }

    private void Report(DiagnosticDescriptor descriptor, Location location, params object[] arguments)
        => _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>One line of primal source for the comment above generated code.</summary>
    private static string CommentOf(SyntaxNode syntax) => SymbolText.OneLine(syntax);
}
