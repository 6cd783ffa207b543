using System;
using System.Collections.Generic;
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
internal sealed partial class TensorMethodParser
{
    private readonly IMethodSymbol _method;
    private readonly List<IMethodSymbol> _inlining = new();
    private readonly CancellationToken _cancellationToken;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly Dictionary<ISymbol, TValue> _locals = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, string> _loopVariables = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, string> _indexVariables = new(SymbolEqualityComparer.Default);
    private List<TStmt> _body = new();
    private int _frames;
    private int _slots;
    private int _tapes;
    private string _comment = string.Empty;

    // The body being parsed: the method's own, or a tensor function's inlined into it, which gets a scope of its own.
    private Scope _scope;

    /// <summary>What belongs to the body being parsed: the method's, or an inlined tensor function's.</summary>
    /// <param name="Model">The semantic model of the body's syntax tree (an inlined function may be in another file).</param>
    /// <param name="Function">The method or function whose body this is.</param>
    /// <param name="CommentPrefix">Put before each comment line ("Attention: " inside an inlined function).</param>
    private sealed class Scope(SemanticModel model, IMethodSymbol function, string commentPrefix)
    {
        public SemanticModel Model { get; } = model;

        public IMethodSymbol Function { get; } = function;

        public string CommentPrefix { get; } = commentPrefix;

        /// <summary>The value of the body's return statement, once parsed.</summary>
        public TValue? Result { get; set; }

        /// <summary>Depth of the ifs around the statement being parsed (a return there is not supported).</summary>
        public int InBranch { get; set; }

        /// <summary>Depth of the loops around the statement being parsed.</summary>
        public int LoopDepth { get; set; }
    }

    private TensorMethodParser(SemanticModel semanticModel, IMethodSymbol method, CancellationToken cancellationToken)
    {
        _method = method;
        _scope = new Scope(semanticModel, method, string.Empty);
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
        IOperation? operation = _scope.Model.GetOperation(syntax, _cancellationToken);
        if (operation is IMethodBodyOperation body && (body.BlockBody ?? body.ExpressionBody) is IBlockOperation block)
        {
            ParseBlock(block);
        }
        else
        {
            Unsupported(DiagnosticDescriptors.UnsupportedModelControlFlow, syntax.Identifier.GetLocation(), "the method has no body");
        }

        if (_scope.Result is null && !_diagnostics.Any())
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
        var usings = SymbolText.Usings(syntax.SyntaxTree, _cancellationToken).Distinct().ToEquatableArray();
        return new TensorMethod(hint, GeneratedNames.TapeType(_method), ns, types, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), _method.Name,
            SymbolText.Accessibility(_method.DeclaredAccessibility), ModelParser.IsTensor(_method.ReturnType) ? TKind.Tensor : TKind.Float,
            parameters, isStub ? EquatableArray<TStmt>.Empty : _body.ToEquatableArray(), isStub ? null : _scope.Result, usings, isStub);
    }

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
