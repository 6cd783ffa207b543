using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

internal sealed partial class MethodParser
{
    /// <summary>
    /// <c>var (a, b) = (x, 2 * x);</c>, <c>(a, b) = (b, a);</c>: every value of the tuple literal is computed first (a swap
    /// reads both before writing either), then assigned in order; declared locals are declared. A JVP's pair,
    /// <c>(v, t) = GJvp(...)</c>, is <c>G(...)</c> and <c>GDirectional(...)</c>. Other tuples that are not a literal (a
    /// method's result) are not supported.
    /// </summary>
    private void ParseDeconstruction(IDeconstructionAssignmentOperation deconstruction, string comment, List<Stmt> output)
    {
        IOperation targetTuple = deconstruction.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : deconstruction.Target;
        IOperation valueTuple = deconstruction.Value;
        while (valueTuple is IConversionOperation conversion)
        {
            valueTuple = conversion.Operand;
        }

        // (v, t) = GJvp(...): the value and the directional derivative.
        Expr?[]? jvp = null;
        if (targetTuple is ITupleOperation { Elements.Length: 2 } && valueTuple is IInvocationOperation invocation && NestedCallOf(invocation) is { Suffix: "Jvp" } nested)
        {
            string display = nested.Primal.ContainingType.Name + "." + invocation.TargetMethod.Name;
            jvp = new[] { PrimalCall(invocation, nested.Primal, display), DirectionalCall(invocation, nested.Primal, display) };
            if (jvp[0] is null || jvp[1] is null)
            {
                MarkReported(targetTuple);
                return;
            }
        }

        ITupleOperation? values = valueTuple as ITupleOperation;
        if (targetTuple is not ITupleOperation targets || (jvp is null && (values is null || targets.Elements.Length != values.Elements.Length)))
        {
            Report(DiagnosticDescriptors.UnsupportedStatement, deconstruction.Syntax.GetLocation(), comment, "deconstruction",
                "only a tuple literal is taken apart, (a, b) = (x, y); assign each element of any other value on its own");
            MarkReported(targetTuple);
            return;
        }

        var assignments = new List<(Target Target, string Temp, bool Declares)>();
        for (int i = 0; i < targets.Elements.Length; i++)
        {
            IOperation element = targets.Elements[i] is IDeclarationExpressionOperation declared ? declared.Expression : targets.Elements[i];
            if (element is IDiscardOperation)
            {
                continue;
            }

            bool declares = element is ILocalReferenceOperation { IsDeclaration: true };
            if (element is ILocalReferenceOperation { IsDeclaration: true, Local: var local })
            {
                if (!TypeClassifier.TryClassify(local.Type, out ScalarKind localKind, out ShapeKind shape) || shape != ShapeKind.Scalar)
                {
                    Report(DiagnosticDescriptors.UnsupportedType, element.Syntax.GetLocation(), comment, local.Type.ToDisplayString(), "take apart tuples of double, float, int, long or bool");
                    MarkReported(targetTuple);
                    return;
                }

                DeclareLocal(local, localKind, ShapeKind.Scalar);
            }

            if (ParseTarget(element, comment) is not { } target || (jvp is not null ? ConvertTo(jvp[i]!, target.Kind) : ParseValue(values!.Elements[i], target.Kind)) is not { } value)
            {
                MarkReported(targetTuple);
                return;
            }

            string temp = AddSynthetic("__tuple", target.Kind);
            output.Add(new AssignStmt(comment, temp, null, value, IsDeclaration: true));
            assignments.Add((target, temp, declares));
        }

        foreach ((Target target, string temp, bool declares) in assignments)
        {
            output.Add(new AssignStmt(comment, target.Name, target.Index, new VarExpr(target.Kind, temp), IsDeclaration: declares && target.Index is null));
        }
    }

    // The locals a failed deconstruction declares: their uses get no second, cascading diagnostic.
    private void MarkReported(IOperation targets)
    {
        foreach (ILocalReferenceOperation local in targets.DescendantsAndSelf().OfType<ILocalReferenceOperation>().Where(l => l.IsDeclaration))
        {
            _reported.Add(local.Local);
        }
    }
}
