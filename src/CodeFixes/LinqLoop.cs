using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Autodiff.CodeFixes;

/// <summary>
/// A LINQ reduction over an array or span, <c>w.Sum()</c>, <c>w.Sum(v => v * v)</c>, <c>Average</c>, <c>Max</c>,
/// <c>Min</c>, rewritten as the loop before its statement, the statement reading the result: a local declaration, an
/// expression statement or a <c>return</c> (an expression body becomes a block). Max and Min of an empty array give
/// -∞ and +∞ where LINQ throws.
/// </summary>
internal sealed class LinqLoop
{
    private static readonly string[] Operators = { "Sum", "Average", "Max", "Min" };

    private readonly Document _document;
    private readonly InvocationExpressionSyntax _query;
    private readonly SyntaxNode _anchor;
    private readonly string _source;
    private readonly string _element;
    private readonly string _result;
    private readonly string _variable;
    private readonly ExpressionSyntax? _selector;
    private readonly string _accumulator;

    private LinqLoop(Document document, InvocationExpressionSyntax query, SyntaxNode anchor, string op, string source, string element, string result,
        string variable, ExpressionSyntax? selector, string accumulator)
    {
        _document = document;
        _query = query;
        _anchor = anchor;
        Operator = op;
        _source = source;
        _element = element;
        _result = result;
        _variable = variable;
        _selector = selector;
        _accumulator = accumulator;
    }

    public string Operator { get; }

    public static async Task<LinqLoop?> TryCreateAsync(Document document, InvocationExpressionSyntax query, CancellationToken cancellationToken)
    {
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model?.GetSymbolInfo(query, cancellationToken).Symbol is not IMethodSymbol method
            || (method.ReducedFrom ?? method).ContainingType?.ToDisplayString() != "System.Linq.Enumerable"
            || !Operators.Contains(method.Name)
            || model.GetTypeInfo(query, cancellationToken).Type is not { SpecialType: SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32 } resultType)
        {
            return null;
        }

        // The source and the selector, as an extension call (w.Sum(f)) or a static one (Enumerable.Sum(w, f)).
        List<ExpressionSyntax> arguments = query.ArgumentList.Arguments.Select(a => a.Expression).ToList();
        ExpressionSyntax? source = method.ReducedFrom is not null && query.Expression is MemberAccessExpressionSyntax access ? access.Expression : arguments.FirstOrDefault();
        if (method.ReducedFrom is null && arguments.Count > 0)
        {
            arguments.RemoveAt(0);
        }

        if (source is null || arguments.Count > 1 || model.GetTypeInfo(source, cancellationToken).Type is not { } sourceType || ElementOf(sourceType) is not { } element)
        {
            return null;
        }

        // Where the loop goes: before a declaration, an expression statement or a return, or into an expression body.
        SyntaxNode? anchor = query.FirstAncestorOrSelf<SyntaxNode>(n => n is LocalDeclarationStatementSyntax or ExpressionStatementSyntax or ReturnStatementSyntax or ArrowExpressionClauseSyntax);
        if (anchor is null || (anchor is StatementSyntax && anchor.Parent is not BlockSyntax) || (anchor is ArrowExpressionClauseSyntax && anchor.Parent is not MethodDeclarationSyntax))
        {
            return null;
        }

        // The lambda's parameter is the loop variable; without a lambda, a fresh one.
        string variable;
        ExpressionSyntax? selector = null;
        if (arguments.Count == 1)
        {
            if (arguments[0] is not SimpleLambdaExpressionSyntax { ExpressionBody: { } body } lambda)
            {
                return null;
            }

            variable = lambda.Parameter.Identifier.ValueText;
            selector = body;
            if (model.LookupSymbols(anchor.SpanStart, name: variable).Any())
            {
                return null;
            }
        }
        else
        {
            variable = Fresh(model, anchor.SpanStart, "v");
        }

        string accumulator = Fresh(model, anchor.SpanStart, method.Name == "Average" ? "sum" : method.Name.ToLowerInvariant());
        return new LinqLoop(document, query, anchor, method.Name, source.WithoutTrivia().ToString(), element.ToDisplayString(), resultType.ToDisplayString(),
            variable, selector, accumulator);
    }

    public async Task<Document> ApplyAsync(CancellationToken cancellationToken)
    {
        SyntaxNode root = (await _document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        string value = _selector?.WithoutTrivia().ToString() ?? _variable;
        string start = Operator switch
        {
            "Max" => _result + ".NegativeInfinity",
            "Min" => _result + ".PositiveInfinity",
            _ => "0",
        };
        string update = Operator switch
        {
            "Max" => $"{_accumulator} = global::System.Math.Max({_accumulator}, {value});",
            "Min" => $"{_accumulator} = global::System.Math.Min({_accumulator}, {value});",
            _ => $"{_accumulator} += {value};",
        };
        var loop = new List<StatementSyntax>
        {
            SyntaxFactory.ParseStatement($"{_result} {_accumulator} = {start};\n"),
            SyntaxFactory.ParseStatement($"foreach ({_element} {_variable} in {_source})\n{{\n    {update}\n}}\n").WithAdditionalAnnotations(Simplifier.Annotation),
        };
        ExpressionSyntax replacement = SyntaxFactory.ParseExpression(Operator == "Average" ? $"({_accumulator} / {_source}.Length)" : _accumulator);
        if (_anchor is ArrowExpressionClauseSyntax arrow && arrow.Parent is MethodDeclarationSyntax method)
        {
            ExpressionSyntax returned = arrow.Expression.ReplaceNode(_query, replacement);
            BlockSyntax block = SyntaxFactory.Block(loop.Append(SyntaxFactory.ReturnStatement(returned))).WithAdditionalAnnotations(Formatter.Annotation);
            MethodDeclarationSyntax rewritten = method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block);
            return _document.WithSyntaxRoot(root.ReplaceNode(method, rewritten));
        }

        var statement = (StatementSyntax)_anchor;
        var parent = (BlockSyntax)statement.Parent!;
        StatementSyntax reading = statement.ReplaceNode(_query, replacement);
        int index = parent.Statements.IndexOf(statement);
        SyntaxList<StatementSyntax> statements = parent.Statements.RemoveAt(index).InsertRange(index, loop.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).Append(reading));
        return _document.WithSyntaxRoot(root.ReplaceNode(parent, parent.WithStatements(statements)));
    }

    private static ITypeSymbol? ElementOf(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol { Rank: 1 } array => array.ElementType,
        INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", TypeArguments.Length: 1 } span => span.TypeArguments[0],
        _ => null,
    };

    private static string Fresh(SemanticModel model, int position, string stem)
    {
        string name = stem;
        for (int i = 2; model.LookupSymbols(position, name: name).Any(); i++)
        {
            name = stem + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }
}
