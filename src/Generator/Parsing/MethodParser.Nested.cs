using System.Collections.Generic;
using System.Linq;
using System.Text;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Nested differentiation: a [Differentiable] method that calls another's generated derivatives (GJvp, GGradient,
// GVjp, GDirectional). Each is rewritten into calls the IR already differentiates: G itself, and G's directional
// derivative ∇G·t (GDirectional, whose reverse mode GDirectionalVjp a second-order G has), so that the caller's
// derivative is G's second-order one.
internal sealed partial class MethodParser
{
    // What the generator appends to a [Differentiable] method's name, longest first.
    private static readonly string[] GeneratedSuffixes = { "DirectionalVjp", "Directional", "Gradient", "Jacobian", "Hessian", "Vjp", "Jvp", "Hvp" };

    // The forms a differentiated method may call; the others (third derivatives, vector-valued derivatives) are AD0115.
    private static readonly string[] NestedSuffixes = { "Directional", "Gradient", "Vjp", "Jvp" };

    // The signatures of the generated derivatives this method's file calls (see DeclareGeneratedDerivatives), or null.
    private SyntaxTree? _declarations;

    /// <summary>
    /// In the generator's own view of the compilation the derivatives it generates do not exist yet, so a call of
    /// <c>GJvp</c> does not bind. When the file calls generated derivatives of <c>[Differentiable]</c> methods of this
    /// compilation, the body is bound against a copy of the compilation that declares them (signatures only), as the
    /// compiler will see them: <c>var</c>, <c>out double d</c> and <c>.Tangent</c> then bind as written.
    /// </summary>
    private void DeclareGeneratedDerivatives(MethodDeclarationSyntax syntax)
    {
        var primals = new List<IMethodSymbol>();
        foreach (InvocationExpressionSyntax invocation in syntax.SyntaxTree.GetRoot(_cancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            // The name first (syntax only), so that the file's other calls are not bound for this.
            List<IMethodSymbol> found = PrimalsOf(invocation, NestedSuffixes, out _).ToList();
            if (found.Count == 0 || _semanticModel.GetSymbolInfo(invocation, _cancellationToken).Symbol is not null)
            {
                continue;
            }

            foreach (IMethodSymbol primal in found)
            {
                if (primal.Locations.Any(l => l.IsInSource) && !primal.ReturnsVoid && !primals.Contains(primal, SymbolEqualityComparer.Default))
                {
                    primals.Add(primal);
                }
            }
        }

        if (primals.Count == 0)
        {
            return;
        }

        var text = new StringBuilder("// Signatures of generated derivatives, for binding only.\n");
        foreach (IMethodSymbol primal in primals)
        {
            text.Append(DerivativeSignatures(primal));
        }

        SyntaxTree declarations = CSharpSyntaxTree.ParseText(text.ToString(), (CSharpParseOptions)syntax.SyntaxTree.Options, cancellationToken: _cancellationToken);
        _declarations = declarations;
        Compilation compilation = _semanticModel.Compilation.AddSyntaxTrees(declarations);
        _semanticModel = compilation.GetSemanticModel(syntax.SyntaxTree);
        if (_semanticModel.GetDeclaredSymbol(syntax, _cancellationToken) is { } method)
        {
            _method = method;
        }
    }

    // namespace N { partial class T { static R GJvp(...) => default; ... } } for one primal.
    private static string DerivativeSignatures(IMethodSymbol primal)
    {
        if (!primal.Parameters.All(p => TypeClassifier.TryClassify(p.Type, out _, out _)) || !TypeClassifier.TryScalar(primal.ReturnType, out ScalarKind returnKind))
        {
            return string.Empty;
        }

        var parameters = primal.Parameters.Select(GeneratedNames.Classify).ToList();
        string ret = TypeClassifier.Keyword(returnKind);
        string access = SymbolText.Accessibility(primal.DeclaredAccessibility);
        string List(List<(ScalarKind Kind, ShapeKind Shape, RefKind Ref)> list)
            => string.Join(", ", list.Select((p, i) => (p.Ref == RefKind.Out ? "out " : string.Empty) + TypeClassifier.TypeText(p.Kind, p.Shape) + " p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var members = new StringBuilder();
        string name = primal.Name;
        string attribute = "[global::System.CodeDom.Compiler.GeneratedCode(\"Autodiff.Generator\", \"0\")] ";
        members.Append($"{attribute}{access} static {ret} {name}Gradient({List(GeneratedNames.VjpParameters(parameters, seed: null))}) => throw null!;\n");
        members.Append($"{attribute}{access} static {ret} {name}Vjp({List(GeneratedNames.VjpParameters(parameters, returnKind))}) => throw null!;\n");
        members.Append($"{attribute}{access} static ({ret} Value, {ret} Tangent) {name}Jvp({List(GeneratedNames.JvpParameters(parameters))}) => throw null!;\n");
        if (TypeClassifier.SetsNamedArgument(primal, WellKnownNames.DifferentiableAttribute, "SecondOrder"))
        {
            members.Append($"{attribute}{access} static {ret} {name}Directional({List(GeneratedNames.JvpParameters(parameters))}) => throw null!;\n");
        }

        var text = new StringBuilder();
        var types = new List<INamedTypeSymbol>();
        for (INamedTypeSymbol? type = primal.ContainingType; type is not null; type = type.ContainingType)
        {
            types.Insert(0, type);
        }

        string ns = primal.ContainingType.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        if (ns.Length > 0)
        {
            text.Append("namespace ").Append(ns).Append(" {\n");
        }

        foreach (INamedTypeSymbol type in types)
        {
            text.Append("partial ").Append(SymbolText.TypeKeyword(type)).Append(' ').Append(type.Name).Append(" {\n");
        }

        text.Append(members);
        text.Append('}', types.Count + (ns.Length > 0 ? 1 : 0)).Append('\n');
        return text.ToString();
    }

    // The [Differentiable] methods that an invocation's name is a generated derivative of, and the suffix it has.
    private IEnumerable<IMethodSymbol> PrimalsOf(InvocationExpressionSyntax invocation, string[] suffixes, out string suffix)
    {
        suffix = string.Empty;
        string? name = invocation.Expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.Text,
            MemberAccessExpressionSyntax access => access.Name.Identifier.Text,
            _ => null,
        };
        if (name is null)
        {
            return Enumerable.Empty<IMethodSymbol>();
        }

        foreach (string candidate in suffixes)
        {
            if (name.Length <= candidate.Length || !name.EndsWith(candidate, System.StringComparison.Ordinal))
            {
                continue;
            }

            // Only a name with a generated suffix has its receiver bound.
            INamespaceOrTypeSymbol? container = invocation.Expression is MemberAccessExpressionSyntax member
                ? _semanticModel.GetSymbolInfo(member.Expression, _cancellationToken).Symbol as INamespaceOrTypeSymbol
                : null;
            string primal = name.Substring(0, name.Length - candidate.Length);
            var found = _semanticModel.LookupSymbols(invocation.SpanStart, container, primal).OfType<IMethodSymbol>()
                .Where(m => TypeClassifier.HasAttribute(m, WellKnownNames.DifferentiableAttribute)).ToList();
            if (found.Count > 0)
            {
                suffix = candidate;
                return found;
            }
        }

        return Enumerable.Empty<IMethodSymbol>();
    }

    /// <summary>A bound call of a generated derivative: the primal it derives from, and which derivative it is.</summary>
    private (IMethodSymbol Primal, string Suffix)? NestedCallOf(IInvocationOperation invocation)
    {
        if (invocation.Syntax is not InvocationExpressionSyntax syntax)
        {
            return null;
        }

        foreach (IMethodSymbol primal in PrimalsOf(syntax, GeneratedSuffixes, out string suffix))
        {
            IMethodSymbol target = invocation.TargetMethod;
            bool generated = GeneratedNames.IsGenerated(target) || target.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == _declarations);
            if (generated && SymbolEqualityComparer.Default.Equals(primal.ContainingType, target.ContainingType) && primal.IsStatic
                && invocation.Arguments.Length >= primal.Parameters.Length
                && primal.Parameters.Select((p, i) => SymbolEqualityComparer.Default.Equals(p.Type, invocation.TargetMethod.Parameters[i].Type)).All(same => same))
            {
                return (primal, suffix);
            }
        }

        return null;
    }

    /// <summary>
    /// A call of a generated derivative as a value: <c>GJvp(...).Value</c> is <c>G(...)</c>, <c>GJvp(...).Tangent</c> and
    /// <c>GDirectional(...)</c> are the directional derivative; <c>GGradient</c> and <c>GVjp</c>, only as the whole value
    /// of a statement, write their scalar adjoints into that statement's <paramref name="output"/> first (inside a larger
    /// expression the writes would move before reads C# makes first). Null when the operation is no such call;
    /// <paramref name="handled"/> then false.
    /// </summary>
    private Expr? ParseNestedCall(IOperation operation, out bool handled, List<Stmt>? output = null)
    {
        handled = false;
        string? member = null;
        IInvocationOperation? invocation = operation as IInvocationOperation;
        if (operation is IFieldReferenceOperation { Instance: IInvocationOperation instance, Field.Name: var field } && field is "Value" or "Tangent")
        {
            invocation = instance;
            member = field;
        }

        if (invocation is null || NestedCallOf(invocation) is not { } nested)
        {
            return null;
        }

        handled = true;
        Expr? parsed = ParseNestedCall(invocation, nested.Primal, nested.Suffix, member, output);
        if (parsed is null)
        {
            // Locals the call declares (out double d) are part of its error, not errors of their own where they are read.
            MarkReported(invocation);
        }

        return parsed;
    }

    private Expr? ParseNestedCall(IInvocationOperation invocation, IMethodSymbol primal, string suffix, string? member, List<Stmt>? output)
    {
        string display = primal.ContainingType.Name + "." + invocation.TargetMethod.Name;
        string comment = CommentOf(invocation.Syntax);
        switch (suffix)
        {
            case "Jvp" when member is null:
                Report(DiagnosticDescriptors.NestedDerivative, invocation.Syntax.GetLocation(), _method.Name, display,
                    "take its .Value or .Tangent, or deconstruct it: (double v, double t) = " + invocation.TargetMethod.Name + "(...)");
                return null;
            case "Jvp" when member == "Value":
                return PrimalCall(invocation, primal, display);
            case "Jvp" or "Directional":
                return DirectionalCall(invocation, primal, display);
            case "Gradient" or "Vjp":
                return GradientCall(invocation, primal, suffix == "Vjp", display, comment, output);
            default:
                Report(DiagnosticDescriptors.NestedDerivative, invocation.Syntax.GetLocation(), _method.Name, display, ThirdOrderFix(primal));
                return null;
        }
    }

    // G(args...): the primal, whose derivatives are first order.
    private Expr? PrimalCall(IInvocationOperation invocation, IMethodSymbol primal, string display)
        => ResolveCallee(invocation, primal, display) is { } callee ? CallOf(invocation, callee, primal.Parameters.Length) : null;

    // GDirectional(args..., tangents...) = ∇G·t, differentiated by GDirectionalVjp (G's second derivatives).
    private Expr? DirectionalCall(IInvocationOperation invocation, IMethodSymbol primal, string display)
        => Callees(invocation, primal, display) is { } callees ? CallOf(invocation, callees.Directional, invocation.Arguments.Length) : null;

    // G's callee and its directional derivative's, or null (reported) when G has no second derivatives.
    private (CalleeInfo Callee, CalleeInfo Directional)? Callees(IInvocationOperation invocation, IMethodSymbol primal, string display)
    {
        if (_secondOrder)
        {
            Report(DiagnosticDescriptors.NoSecondDerivative, invocation.Syntax.GetLocation(), _method.Name, display,
                "the second derivatives of a method that differentiates another would be third derivatives of that one, which are not generated; remove SecondOrder = true");
            return null;
        }

        if (ResolveCallee(invocation, primal, display) is not { } callee)
        {
            return null;
        }

        if (callee.DirectionalCallee() is not { } directional)
        {
            Report(DiagnosticDescriptors.NoSecondDerivative, invocation.Syntax.GetLocation(), _method.Name, display,
                "differentiating it takes second derivatives of " + primal.Name + ": mark " + primal.Name + " [Differentiable(SecondOrder = true)]");
            return null;
        }

        return (callee, directional);
    }

    // The call of a callee with the invocation's first arguments (scalars parsed, arrays named).
    private Expr? CallOf(IInvocationOperation invocation, CalleeInfo callee, int count)
    {
        var args = new List<Expr>();
        IOperation[] arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToArray();
        for (int i = 0; i < count; i++)
        {
            if (ArgumentOf(arguments[i], callee.Parameters[i]) is not { } arg)
            {
                return null;
            }

            args.Add(arg);
        }

        return new CallExpr(callee.ReturnKind, callee, args.ToEquatableArray());
    }

    private Expr? ArgumentOf(IOperation argument, CalleeParam parameter)
    {
        if (parameter.Shape == ShapeKind.Scalar)
        {
            return ParseValue(argument, parameter.Kind);
        }

        if (ArrayArgument(Unconverted(argument), parameter.Kind, parameter.Shape) is { } array)
        {
            return array;
        }

        return Unsupported(argument, "array arguments other than an array or span variable of the same element type", "pass a parameter or local array directly");
    }

    /// <summary>
    /// <c>e = GGradient(a, b, out da, out db)</c> (or <c>GVjp(a, b, seed, out da, out db)</c>): the adjoints are written
    /// first, each a directional derivative along a unit direction (<c>da = GDirectional(a, b, 1, 0)</c>, times the seed),
    /// then the value is <c>G(a, b)</c>. Arguments that an adjoint overwrites are read from copies made before.
    /// Array adjoints are not supported (one directional derivative per element would cost n gradients).
    /// </summary>
    private Expr? GradientCall(IInvocationOperation invocation, IMethodSymbol primal, bool seeded, string display, string comment, List<Stmt>? statement)
    {
        if (statement is not { } output)
        {
            Report(DiagnosticDescriptors.NestedDerivative, invocation.Syntax.GetLocation(), _method.Name, display,
                "call it as a statement of its own, double value = " + invocation.TargetMethod.Name + "(..., out double d...), and use the value and the adjoints after it");
            return null;
        }

        if (Callees(invocation, primal, display) is not ({ } callee, { } directional))
        {
            return null;
        }

        int count = primal.Parameters.Length;
        if (callee.Parameters.Any(p => p.Differentiable && p.Shape != ShapeKind.Scalar))
        {
            Report(DiagnosticDescriptors.NestedDerivative, invocation.Syntax.GetLocation(), _method.Name, display,
                "a nested gradient with array adjoints is not supported yet; take the directional derivatives you need with " + primal.Name + "Jvp(...).Tangent");
            return null;
        }

        IOperation[] arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToArray();
        var args = new List<Expr>();
        for (int i = 0; i < count; i++)
        {
            if (ArgumentOf(arguments[i], callee.Parameters[i]) is not { } arg)
            {
                return null;
            }

            args.Add(arg);
        }

        Expr? seed = seeded ? ParseValue(arguments[count], callee.ReturnKind) : null;
        if (seeded && seed is null)
        {
            return null;
        }

        // The out arguments: a target per differentiable parameter (null for a discard).
        var targets = new List<(Target? Target, bool Declares)>();
        for (int i = count + (seeded ? 1 : 0); i < arguments.Length; i++)
        {
            IOperation argument = arguments[i] is IDeclarationExpressionOperation declaration ? declaration.Expression : arguments[i];
            if (argument is IDiscardOperation)
            {
                targets.Add((null, false));
                continue;
            }

            bool declares = argument is ILocalReferenceOperation { IsDeclaration: true };
            if (argument is ILocalReferenceOperation { IsDeclaration: true, Local: var local })
            {
                TypeClassifier.TryScalar(local.Type, out ScalarKind localKind);
                DeclareLocal(local, localKind, ShapeKind.Scalar);
            }

            if (ParseTarget(argument, comment) is not { } target)
            {
                return null;
            }

            targets.Add((target, declares));
        }

        // Arguments are evaluated before the call writes its outputs: copy those an output overwrites.
        var written = new HashSet<string>(targets.Where(t => t.Target is not null).Select(t => t.Target!.Name));
        Expr Stable(Expr value)
        {
            if (!ExprFacts.Reads(value).Any(written.Contains))
            {
                return value;
            }

            string copy = AddSynthetic("__arg", value.Kind);
            output.Add(new AssignStmt(comment, copy, null, value, IsDeclaration: true));
            return new VarExpr(value.Kind, copy);
        }

        args = args.Select(Stable).ToList();
        seed = seed is null ? null : Stable(seed);
        int k = 0;
        for (int i = 0; i < count; i++)
        {
            if (!callee.Parameters[i].Differentiable)
            {
                continue;
            }

            (Target? target, bool declares) = targets[k++];
            if (target is null)
            {
                continue;
            }

            // ∂G/∂a_i = ∇G·e_i.
            var direction = new List<Expr>(args);
            for (int j = 0; j < count; j++)
            {
                if (callee.Parameters[j].Differentiable)
                {
                    direction.Add(new ConstExpr(callee.Parameters[j].Kind, Literal.Of(j == i ? 1 : 0, callee.Parameters[j].Kind)));
                }
            }

            Expr partial = new CallExpr(callee.ReturnKind, directional, direction.ToEquatableArray());
            if (seed is not null)
            {
                partial = new BinaryExpr(callee.ReturnKind, BinaryOp.Multiply, seed, partial);
            }

            output.Add(new AssignStmt(comment, target.Name, target.Index, ConvertTo(partial, target.Kind), IsDeclaration: declares && target.Index is null));
        }

        return new CallExpr(callee.ReturnKind, callee, args.ToEquatableArray());
    }

    private static string ThirdOrderFix(IMethodSymbol primal)
        => "third derivatives and the derivatives of Hessians, Hessian-vector products and Jacobians are not generated; differentiate through "
            + primal.Name + "Jvp, " + primal.Name + "Gradient or " + primal.Name + "Vjp instead";

    private static IOperation Unconverted(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    /// <summary>
    /// AD0115 for a call of a generated derivative that does not bind (<c>FHvp</c>, or any derivative of a method of
    /// another compilation's that is not there): in the generator's own view of the compilation such a method may not
    /// exist, so the call is an invalid operation; it is recognised by its name. Returns whether it reported.
    /// </summary>
    private bool ReportNestedDerivative(IOperation operation)
    {
        if (operation is not (IInvalidOperation or IFieldReferenceOperation or IPropertyReferenceOperation) || operation.Syntax is not ExpressionSyntax syntax)
        {
            return false;
        }

        InvocationExpressionSyntax? invocation = syntax as InvocationExpressionSyntax ?? (syntax as MemberAccessExpressionSyntax)?.Expression as InvocationExpressionSyntax;
        if (invocation is null || _semanticModel.GetSymbolInfo(invocation, _cancellationToken).Symbol is not null)
        {
            return false;
        }

        IMethodSymbol? primal = PrimalsOf(invocation, GeneratedSuffixes, out string suffix).FirstOrDefault();
        if (primal is null)
        {
            return false;
        }

        string name = primal.Name + suffix;
        string fix = primal.ReturnsVoid
            ? "the derivatives of a vector-valued method are not differentiated; call the method itself, whose Jacobian is then part of this one's derivatives"
            : primal.Parameters.Any(p => TypeClassifier.TryMatrix(p.Type, out _) || TypeClassifier.TryJagged(p.Type, out _, out _) || StructShape.Of(p.Type) is not null || StructShape.ArrayOf(p.Type) is not null)
                ? "the derivatives of a method that takes a T[,], a jagged array or a struct are not differentiated through yet; call " + primal.Name
                    + " itself here and differentiate this method, or give " + primal.Name + " arrays and scalars"
            : suffix == "Directional" && !TypeClassifier.SetsNamedArgument(primal, WellKnownNames.DifferentiableAttribute, "SecondOrder")
                ? primal.Name + " has no directional derivative: mark it [Differentiable(SecondOrder = true)]"
                : ThirdOrderFix(primal);
        Report(DiagnosticDescriptors.NestedDerivative, invocation.GetLocation(), _method.Name, name, fix);

        // Locals the call declares (out double d) are part of this error, not errors of their own where they are read.
        foreach (SingleVariableDesignationSyntax designation in invocation.ArgumentList.DescendantNodes().OfType<SingleVariableDesignationSyntax>())
        {
            if (_semanticModel.GetDeclaredSymbol(designation, _cancellationToken) is ILocalSymbol declared)
            {
                _reported.Add(declared);
            }
        }

        return true;
    }
}
