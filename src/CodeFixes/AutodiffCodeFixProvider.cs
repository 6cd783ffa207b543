using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace Autodiff.CodeFixes;

/// <summary>
/// The fixes the diagnostics suggest, one click away: make the containing types <c>partial</c> (AD0002); wrap a call
/// without a derivative in <c>Ad.StopGradient</c>, or mark the parameters it reads <c>[NoDerivative]</c> (AD0104); and
/// turn a LINQ reduction (<c>Sum</c>, <c>Average</c>, <c>Max</c>, <c>Min</c>, with or without a lambda) into the loop
/// the generator differentiates (AD0102).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AutodiffCodeFixProvider)), Shared]
public sealed class AutodiffCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create("AD0002", "AD0104", "AD0102");

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            switch (diagnostic.Id)
            {
                case "AD0002" when node.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().Any(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)):
                    context.RegisterCodeFix(
                        CodeAction.Create("Make the containing types partial", c => MakePartial(context.Document, root, node), "AD0002.partial"),
                        diagnostic);
                    break;

                case "AD0104" when node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault() is { } call:
                    context.RegisterCodeFix(
                        CodeAction.Create("Wrap in Ad.StopGradient (no derivative through this call)", c => StopGradient(context.Document, root, call), "AD0104.stop"),
                        diagnostic);
                    await RegisterNoDerivativeAsync(context, diagnostic, call).ConfigureAwait(false);
                    break;

                case "AD0102" when node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault() is { } query
                    && await LinqLoop.TryCreateAsync(context.Document, query, context.CancellationToken).ConfigureAwait(false) is { } loop:
                    context.RegisterCodeFix(CodeAction.Create("Write the " + loop.Operator + " as a loop", c => loop.ApplyAsync(c), "AD0102.loop"), diagnostic);
                    break;
            }
        }
    }

    private static Task<Document> MakePartial(Document document, SyntaxNode root, SyntaxNode node)
    {
        var types = node.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().Where(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)).ToList();
        SyntaxNode changed = root.ReplaceNodes(types, (original, rewritten) =>
            rewritten.AddModifiers(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
        return Task.FromResult(document.WithSyntaxRoot(changed));
    }

    private static Task<Document> StopGradient(Document document, SyntaxNode root, InvocationExpressionSyntax call)
    {
        ExpressionSyntax stop = SyntaxFactory.ParseExpression("global::Autodiff.Ad.StopGradient")
            .WithAdditionalAnnotations(Simplifier.Annotation);
        InvocationExpressionSyntax wrapped = SyntaxFactory.InvocationExpression(stop,
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(call.WithoutTrivia()))))
            .WithTriviaFrom(call);
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(call, wrapped)));
    }

    // One fix per floating parameter of the method that the call's arguments read: [NoDerivative] on it.
    private static async Task RegisterNoDerivativeAsync(CodeFixContext context, Diagnostic diagnostic, InvocationExpressionSyntax call)
    {
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (model is null || call.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method)
        {
            return;
        }

        var seen = new HashSet<string>();
        foreach (IdentifierNameSyntax name in call.ArgumentList.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(name, context.CancellationToken).Symbol is IParameterSymbol { Type.SpecialType: SpecialType.System_Double or SpecialType.System_Single } parameter
                && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, model.GetDeclaredSymbol(method, context.CancellationToken))
                && !parameter.GetAttributes().Any(a => a.AttributeClass?.Name == "NoDerivativeAttribute")
                && seen.Add(parameter.Name)
                && method.ParameterList.Parameters.FirstOrDefault(p => p.Identifier.ValueText == parameter.Name) is { } declaration)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Mark '{parameter.Name}' [NoDerivative] (no derivative with respect to it)", c => MarkNoDerivative(context.Document, declaration, c), "AD0104.noderivative." + parameter.Name),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> MarkNoDerivative(Document document, ParameterSyntax parameter, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        AttributeListSyntax attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
            SyntaxFactory.Attribute((NameSyntax)SyntaxFactory.ParseName("global::Autodiff.NoDerivative").WithAdditionalAnnotations(Simplifier.Annotation))))
            .WithTrailingTrivia(SyntaxFactory.Space);
        ParameterSyntax marked = parameter.WithoutLeadingTrivia().AddAttributeLists(attribute).WithLeadingTrivia(parameter.GetLeadingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(parameter, marked));
    }
}
