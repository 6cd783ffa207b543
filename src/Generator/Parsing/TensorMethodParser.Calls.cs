using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir.Tensors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

/// <content>Calls: registered tensor ops, model and layer methods, and tensor functions inlined in place.</content>
internal sealed partial class TensorMethodParser
{
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

        (string Vjp, string? Jvp, string? Into, string? VjpTangent, bool JvpInto)? registration = FindRegistration(target, syntax);
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
            registration.Value.Vjp, registration.Value.Jvp, args.ToEquatableArray(), registration.Value.VjpTangent, registration.Value.JvpInto));
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

        SemanticModel model = syntax.SyntaxTree == _scope.Model.SyntaxTree ? _scope.Model : _scope.Model.Compilation.GetSemanticModel(syntax.SyntaxTree);
        if (model.GetOperation(syntax, _cancellationToken) is not IMethodBodyOperation body || (body.BlockBody ?? body.ExpressionBody) is not IBlockOperation block)
        {
            return Unsupported(DiagnosticDescriptors.UnsupportedModelCall, invocation.Syntax.GetLocation(), "the call to the tensor function '" + display + "', whose body could not be read");
        }

        (Scope saved, string savedComment, int savedDiagnostics) = (_scope, _comment, _diagnostics.Count);
        for (int i = 0; i < values.Count; i++)
        {
            _locals[target.Parameters[i]] = values[i];
        }

        // The function's own return ends its body, even inside an if or a loop of the caller.
        _inlining.Add(target);
        _scope = new Scope(model, target, saved.CommentPrefix + target.Name + ": ");
        ParseBlock(block);
        TValue? result = _scope.Result;
        _inlining.RemoveAt(_inlining.Count - 1);
        (_scope, _comment) = (saved, savedComment);
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

    private (string Vjp, string? Jvp, string? Into, string? VjpTangent, bool JvpInto)? FindRegistration(IMethodSymbol target, SyntaxNode syntax)
    {
        string display = target.ContainingType.Name + "." + target.Name;
        string? firstProblem = null;
        foreach ((INamedTypeSymbol derivatives, string vjp, string? jvp, string? into, string? vjpTangent) in Registrations.Find(_scope.Model.Compilation, target))
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

            if (vjpTangent is not null && !HasVjpTangent(target, derivatives, vjpTangent))
            {
                Report(DiagnosticDescriptors.BadCustomDerivative, syntax.GetLocation(), derivatives.Name + "." + vjpTangent, display, VjpTangentText(target, vjpTangent));
                return null;
            }

            return (derivativesName + "." + vjp, jvp is null ? null : derivativesName + "." + jvp, into, vjpTangent is null ? null : derivativesName + "." + vjpTangent,
                jvp is not null && HasJvpInto(target, derivatives, jvp));
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

    // JVP into a reused tensor, optional beside a tensor-valued op's JVP: (the JVP's parameters..., Tensor? into) -> Tensor?
    private static bool HasJvpInto(IMethodSymbol target, INamedTypeSymbol derivatives, string name)
    {
        if (!ModelParser.IsTensor(target.ReturnType))
        {
            return false;
        }

        List<ITypeSymbol> expected = DerivativeTypes(target, JvpResults.Length);
        expected.Add(target.ReturnType);
        return derivatives.GetMembers(name).OfType<IMethodSymbol>()
            .Any(m => m.IsStatic && SymbolEqualityComparer.Default.Equals(m.ReturnType, target.ReturnType) && SameTypes(m.Parameters, expected));
    }

    // VJP tangent: (params..., R result, R dResult, Tensor? t per Tensor parameter, R tdResult, Tensor? td per Tensor parameter) -> void
    private static bool HasVjpTangent(IMethodSymbol target, INamedTypeSymbol derivatives, string name)
    {
        List<ITypeSymbol> expected = DerivativeTypes(target, VjpResults.Length);
        expected.Add(target.ReturnType);
        expected.AddRange(target.Parameters.Where(p => ModelParser.IsTensor(p.Type)).Select(p => p.Type));
        return derivatives.GetMembers(name).OfType<IMethodSymbol>().Any(m => m.IsStatic && m.ReturnsVoid && SameTypes(m.Parameters, expected));
    }

    /// <summary>The expected signature of a VJP's tangent, for AD0302.</summary>
    private static string VjpTangentText(IMethodSymbol target, string name)
    {
        var tensors = target.Parameters.Where(p => ModelParser.IsTensor(p.Type)).ToList();
        string result = target.ReturnType.ToDisplayString() + (ModelParser.IsTensor(target.ReturnType) ? "?" : string.Empty);
        return "static void " + name + "(" + string.Join(", ", target.Parameters.Select(p => p.Type.ToDisplayString()).Concat(VjpResults)
            .Concat(tensors.Select(p => "Tensor? t" + p.Name)).Append(result + " tdResult").Concat(tensors.Select(p => "Tensor? td" + p.Name))) + ")";
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
}
