using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Calls: Math/MathF (rules table), Ad.StopGradient, [Differentiable] methods and registered custom derivatives.
internal sealed partial class MethodParser
{
    private Expr? ParseInvocation(IInvocationOperation invocation)
    {
        IMethodSymbol target = invocation.TargetMethod;
        if (invocation.Instance is ILocalReferenceOperation { Local: var receiver } && _reported.Contains(receiver))
        {
            // square(x) with square a delegate already reported: no second diagnostic.
            return null;
        }

        if (IsGetLength(target))
        {
            return ParseGetLength(invocation);
        }

        if (IsStructCode(target) && TypeClassifier.TryScalar(target.ReturnType, out ScalarKind scalarKind))
        {
            // p.Dot(q), Vec3.Distance(p, q), Energy(p): a struct's method or a helper over structs, inlined.
            return InlineScalar(target, invocation.Instance, Arguments(invocation.Arguments), invocation, scalarKind);
        }

        string containing = target.ContainingType?.ToDisplayString() ?? string.Empty;
        string display = (target.ContainingType?.Name ?? "?") + "." + target.Name;
        if (!TypeClassifier.TryScalar(target.ReturnType, out ScalarKind kind))
        {
            return NoDerivative(invocation, display);
        }

        if (target.MethodKind == MethodKind.LocalFunction
            || ((target.Parameters.Any(p => TypeClassifier.TryMatrix(p.Type, out _) || TypeClassifier.TryJagged(p.Type, out _, out _) || StructShape.ArrayOf(p.Type) is not null)
                    || invocation.Arguments.Any(a => IsPartialView(a.Value)))
                && TypeClassifier.HasAttribute(target, WellKnownNames.DifferentiableAttribute)))
        {
            // A local function, or a [Differentiable] method that takes a T[,] or a jagged array, or is given a row of
            // one (its derivatives take those shapes, which the caller's spans are not): differentiated through its
            // body, where it is called.
            return InlineLocalFunction(invocation, kind);
        }

        IOperation[] arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToArray();
        if (invocation.Arguments.Any(a => a.Parameter is { RefKind: not RefKind.None }))
        {
            return Unsupported(invocation, "calls with ref, out or in arguments", "pass values");
        }

        if (containing is WellKnownNames.Math or WellKnownNames.MathF)
        {
            return ParseMathCall(invocation, target, kind, arguments, containing);
        }

        if (containing == WellKnownNames.AdClass && target.Name == "StopGradient" && arguments.Length == 1)
        {
            _stopGradient++;
            Expr? operand = ParseValue(arguments[0], kind);
            _stopGradient--;
            return operand is null ? null : new StopGradientExpr(kind, operand, "Ad.StopGradient");
        }

        if (containing is "double" or "float" && target.IsStatic && arguments.Length == 1 && FloatingTests.Contains(target.Name)
            && TypeClassifier.TryScalar(target.Parameters[0].Type, out ScalarKind testedKind))
        {
            // double.IsNaN(v) and its kin: a bool of a value, no derivative to take.
            return ParseValue(arguments[0], testedKind) is { } tested
                ? new MathCallExpr(ScalarKind.Bool, containing == "double" ? "global::System.Double" : "global::System.Single", target.Name, new[] { tested }.ToEquatableArray())
                : null;
        }

        if (_stopGradient > 0 && PassiveCall(invocation, target, kind, arguments) is { } passive)
        {
            return passive;
        }

        // A function with no derivative at all (not [Differentiable], nothing registered): a constant, as long as no
        // argument depends on a differentiable value (checked once activity is known; else AD0104 at the call).
        if (target.MethodKind == MethodKind.Ordinary && !TypeClassifier.HasAttribute(target, WellKnownNames.DifferentiableAttribute)
            && !Registrations.Find(_semanticModel.Compilation, target).Any()
            && !IsLinq(target)
            && PassiveCall(invocation, target, kind, arguments) is MathCallExpr constant)
        {
            _constantCalls.Add((constant.Args, invocation.Syntax.GetLocation(), display));
            return new StopGradientExpr(kind, constant, display);
        }

        if (ResolveCallee(invocation, target, display) is not { } callee)
        {
            return null;
        }

        var args = new List<Expr>();
        for (int i = 0; i < arguments.Length; i++)
        {
            CalleeParam parameter = callee.Parameters[i];
            if (parameter.Shape == ShapeKind.Scalar)
            {
                if (ParseValue(arguments[i], parameter.Kind) is not { } value)
                {
                    return null;
                }

                args.Add(value);
                continue;
            }

            if (ArrayArgument(arguments[i], parameter.Kind, parameter.Shape) is not { } array)
            {
                return Unsupported(arguments[i], "array arguments other than an array or span variable of the same element type",
                    "pass a parameter or local array directly");
            }

            args.Add(array);
        }

        return new CallExpr(kind, callee, args.ToEquatableArray());
    }

    private Expr? ParseMathCall(IInvocationOperation invocation, IMethodSymbol target, ScalarKind kind, IOperation[] arguments, string containing)
    {
        string @class = "global::" + containing;
        bool piecewise = DerivativeRules.IsPiecewiseConstant(target.Name);
        if (!piecewise && !DerivativeRules.Has(target.Name, arguments.Length))
        {
            // A function without a rule: a constant when its arguments are (checked once activity is known), else AD0104.
            string display = (containing == WellKnownNames.Math ? "Math." : "MathF.") + target.Name;
            if (PassiveCall(invocation, target, kind, arguments) is MathCallExpr constant)
            {
                // Inside Ad.StopGradient no derivative is wanted, whatever the arguments.
                if (_stopGradient == 0)
                {
                    _constantCalls.Add((constant.Args, invocation.Syntax.GetLocation(), display));
                }

                return new StopGradientExpr(kind, constant, display);
            }

            return NoDerivative(invocation, display);
        }

        var args = new List<Expr>();
        foreach ((IOperation argument, IParameterSymbol parameter) in arguments.Zip(target.Parameters, (a, p) => (a, p)))
        {
            if (!TypeClassifier.TryScalar(parameter.Type, out ScalarKind parameterKind))
            {
                return Unsupported(argument, "this overload", "call the double or float overload");
            }

            if (ParseValue(argument, parameterKind) is not { } value)
            {
                return null;
            }

            args.Add(value);
        }

        var call = new MathCallExpr(kind, @class, target.Name, args.ToEquatableArray());
        if (!piecewise)
        {
            return call;
        }

        string name = (containing == WellKnownNames.Math ? "Math." : "MathF.") + target.Name;
        var stopped = new StopGradientExpr(kind, call, name);
        if (_stopGradient == 0)
        {
            // Inside Ad.StopGradient the zero derivative is what was asked for: no warning.
            _piecewise.Add((stopped, invocation.Syntax.GetLocation(), name));
        }

        return stopped;
    }

    // Tests of a floating value that return bool.
    private static readonly HashSet<string> FloatingTests = new() { "IsNaN", "IsInfinity", "IsPositiveInfinity", "IsNegativeInfinity", "IsFinite", "IsNormal", "IsSubnormal", "IsNegative" };

    // Inside Ad.StopGradient no derivative is taken, so any static method of scalar and array parameters may be called
    // as written (evaluated once, where the primal evaluates it).
    private Expr? PassiveCall(IInvocationOperation invocation, IMethodSymbol target, ScalarKind kind, IOperation[] arguments)
    {
        if (!target.IsStatic || target.IsGenericMethod || target.MethodKind != MethodKind.Ordinary || target.ContainingType is null)
        {
            return null;
        }

        var args = new List<Expr>();
        for (int i = 0; i < arguments.Length; i++)
        {
            if (!TypeClassifier.TryClassify(target.Parameters[i].Type, out ScalarKind parameterKind, out ShapeKind shape))
            {
                return null;
            }

            if (shape == ShapeKind.Scalar)
            {
                if (ParseValue(arguments[i], parameterKind) is not { } value)
                {
                    return null;
                }

                args.Add(value);
            }
            else if (ArrayArgument(arguments[i], parameterKind, shape) is { } array)
            {
                args.Add(array);
            }
            else
            {
                return null;
            }
        }

        return new MathCallExpr(kind, target.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), target.Name, args.ToEquatableArray());
    }

    /// <summary>
    /// An array or span variable passed to a parameter of the given element type and shape, named; null when it does not
    /// fit. A local array passed where a <c>T[]</c> is expected is allocated in generated code (<see cref="VarInfo.Heap"/>).
    /// </summary>
    private VarExpr? ArrayArgument(IOperation argument, ScalarKind kind, ShapeKind shape)
    {
        if (IsPartialView(argument) || JaggedOf(argument) is not null
            || IndexableOf(argument) is not { } array || array.Kind != kind || (shape == ShapeKind.Array && array.Shape != ShapeKind.Array))
        {
            return null;
        }

        if (shape == ShapeKind.Array && array.Role != VarRole.Parameter && !array.Heap)
        {
            var heap = array with { Heap = true };
            _locals[_locals.IndexOf(array)] = heap;
            foreach (ISymbol symbol in _variables.Where(v => ReferenceEquals(v.Value, array)).Select(v => v.Key).ToList())
            {
                _variables[symbol] = heap;
            }

            array = heap;
        }

        return new VarExpr(array.Kind, array.Name);
    }

    /// <summary>A LINQ operator (called as an extension method or not): never differentiable, and reported as such.</summary>
    private static bool IsLinq(IMethodSymbol target) => (target.ReducedFrom ?? target).ContainingType?.ToDisplayString() == "System.Linq.Enumerable";

    private Expr? NoDerivative(IInvocationOperation invocation, string display)
    {
        Report(DiagnosticDescriptors.NoDerivativeForCall, invocation.Syntax.GetLocation(), display);
        return null;
    }

    /// <summary>Finds the derivative of a call: generated ([Differentiable]) or registered ([CustomDerivative], [assembly: RegisterDerivative]).</summary>
    private CalleeInfo? ResolveCallee(IInvocationOperation invocation, IMethodSymbol target, string display)
    {
        if (IsLinq(target))
        {
            // Marking a library method [Differentiable] is impossible: say what works instead.
            Unsupported(invocation, "LINQ queries (" + display + ")", "write the loop, for example for (int i = 0; i < w.Length; i++) s += w[i];");
            return null;
        }

        if (!target.IsStatic || target.IsGenericMethod || target.ContainingType is null)
        {
            NoDerivative(invocation, display);
            return null;
        }

        string typeName = target.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var parameters = new List<CalleeParam>();
        foreach (IParameterSymbol parameter in target.Parameters)
        {
            if (!TypeClassifier.TryClassify(parameter.Type, out _, out _) || parameter.RefKind != RefKind.None)
            {
                NoDerivative(invocation, display);
                return null;
            }

            parameters.Add(GeneratedNames.Classify(parameter));
        }

        TypeClassifier.TryScalar(target.ReturnType, out ScalarKind returnKind);
        if (!TypeClassifier.IsFloating(returnKind))
        {
            NoDerivative(invocation, display);
            return null;
        }

        var signature = parameters.ToEquatableArray();
        if (TypeClassifier.HasAttribute(target, WellKnownNames.DifferentiableAttribute))
        {
            if (!SignatureRules.IsGenerated(target))
            {
                // Its declaration is reported there and it gets no derivatives: this call would not compile.
                Report(DiagnosticDescriptors.CalleeNotGenerated, invocation.Syntax.GetLocation(), display, "see the errors on its declaration");
                return null;
            }

            // The generator emits these beside the callee (or emitted them in the callee's assembly).
            bool secondOrder = TypeClassifier.SetsNamedArgument(target, WellKnownNames.DifferentiableAttribute, "SecondOrder");
            if (_secondOrder && !secondOrder)
            {
                Report(DiagnosticDescriptors.NoSecondDerivative, invocation.Syntax.GetLocation(), _method.Name, display, "mark it [Differentiable(SecondOrder = true)]");
            }

            var callee = new CalleeInfo(display, typeName + "." + target.Name, typeName + "." + target.Name + "Vjp", typeName + "." + target.Name + "Jvp", returnKind, signature,
                secondOrder ? typeName + "." + target.Name + "Directional" : null);
            if (SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, _method.OriginalDefinition))
            {
                _selfCallee = callee;
            }

            return callee;
        }

        foreach ((INamedTypeSymbol derivatives, string vjp, string? jvp, _, _) in Registrations.Find(_semanticModel.Compilation, target))
        {
            string derivativesName = derivatives.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            if (!CheckVjpShape(invocation, target, derivatives, vjp, parameters, returnKind) || (jvp is not null && !CheckJvpShape(invocation, target, derivatives, jvp, parameters, returnKind)))
            {
                return null;
            }

            if (_secondOrder)
            {
                Report(DiagnosticDescriptors.NoSecondDerivative, invocation.Syntax.GetLocation(), _method.Name, display,
                    "a registered derivative has no second derivative; write the function as a [Differentiable(SecondOrder = true)] method");
            }

            return new CalleeInfo(display, typeName + "." + target.Name, derivativesName + "." + vjp, jvp is null ? null : derivativesName + "." + jvp, returnKind, signature);
        }

        NoDerivative(invocation, display);
        return null;
    }

    // VJP: (params..., T seed, out T d.. per differentiable scalar, Span<T> per differentiable array) -> T (GeneratedNames.VjpParameters)
    private bool CheckVjpShape(IInvocationOperation invocation, IMethodSymbol target, INamedTypeSymbol type, string name, List<CalleeParam> parameters, ScalarKind returnKind)
    {
        List<(ScalarKind Kind, ShapeKind Shape, RefKind Ref)> expected = GeneratedNames.VjpParameters(parameters, returnKind);
        string description = "static " + TypeClassifier.Keyword(returnKind) + " " + name + "(" + string.Join(", ", expected.Select(Describe)) + ")";
        return CheckShape(invocation, target, type, name, expected, m => TypeClassifier.TryScalar(m.ReturnType, out ScalarKind r) && r == returnKind, description);
    }

    // JVP: (params..., T t.. per differentiable scalar, ReadOnlySpan<T> per differentiable array) -> (T Value, T Tangent) (GeneratedNames.JvpParameters)
    private bool CheckJvpShape(IInvocationOperation invocation, IMethodSymbol target, INamedTypeSymbol type, string name, List<CalleeParam> parameters, ScalarKind returnKind)
    {
        List<(ScalarKind Kind, ShapeKind Shape, RefKind Ref)> expected = GeneratedNames.JvpParameters(parameters);
        string keyword = TypeClassifier.Keyword(returnKind);
        string description = "static (" + keyword + " Value, " + keyword + " Tangent) " + name + "(" + string.Join(", ", expected.Select(Describe)) + ")";
        return CheckShape(invocation, target, type, name, expected,
            m => m.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple && tuple.TupleElements.Length == 2
                && TypeClassifier.TryScalar(tuple.TupleElements[0].Type, out ScalarKind ka) && ka == returnKind
                && TypeClassifier.TryScalar(tuple.TupleElements[1].Type, out ScalarKind kb) && kb == returnKind,
            description);
    }

    private bool CheckShape(IInvocationOperation invocation, IMethodSymbol target, INamedTypeSymbol type, string name,
        List<(ScalarKind Kind, ShapeKind Shape, RefKind Ref)> expected, System.Func<IMethodSymbol, bool> returnOk, string description)
    {
        foreach (IMethodSymbol candidate in type.GetMembers(name).OfType<IMethodSymbol>())
        {
            if (candidate.IsStatic && candidate.Parameters.Length == expected.Count && returnOk(candidate)
                && candidate.Parameters.Zip(expected, Matches).All(ok => ok))
            {
                return true;
            }
        }

        Report(DiagnosticDescriptors.BadCustomDerivative, invocation.Syntax.GetLocation(), type.Name + "." + name, target.ContainingType.Name + "." + target.Name, description);
        return false;
    }

    private static bool Matches(IParameterSymbol parameter, (ScalarKind Kind, ShapeKind Shape, RefKind Ref) expected)
    {
        if (parameter.RefKind != expected.Ref || !TypeClassifier.TryClassify(parameter.Type, out ScalarKind kind, out ShapeKind shape) || kind != expected.Kind)
        {
            return false;
        }

        // An array parameter accepts an array; a span parameter accepts the span (and the primal's array).
        return shape == expected.Shape;
    }

    private static string Describe((ScalarKind Kind, ShapeKind Shape, RefKind Ref) p)
        => (p.Ref == RefKind.Out ? "out " : string.Empty) + TypeClassifier.TypeText(p.Kind, p.Shape).Replace("global::System.", string.Empty);
}
