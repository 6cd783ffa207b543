using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Control flow: if, switch statements, loops (lowered to while loops).
internal sealed partial class MethodParser
{
    private void ParseIf(IConditionalOperation conditional, List<Stmt> output)
    {
        string comment = "if (" + CommentOf(conditional.Condition.Syntax) + ")";
        Expr? condition = ParseValue(conditional.Condition, ScalarKind.Bool);
        _nesting++;
        var then = new List<Stmt>();
        ParseStatement(conditional.WhenTrue, then);
        var otherwise = new List<Stmt>();
        if (conditional.WhenFalse is { } whenFalse)
        {
            ParseStatement(whenFalse, otherwise);
        }

        _nesting--;
        if (condition is not null)
        {
            output.Add(new IfStmt(comment, condition, then.ToEquatableArray(), otherwise.ToEquatableArray()));
        }
    }

    /// <summary>
    /// A switch statement as an if / else if chain: each section's labels (constants, patterns, guards) become one
    /// test of the switch value, the <c>default</c> section the final else wherever it stands, and each section's
    /// closing <c>break</c> is dropped. A <c>break</c> out of the switch before the end of its section, a switch on a
    /// value that calls a method (each test reads it again), and a local declared in one section and used in
    /// another (C# scopes it to the whole switch) are reported.
    /// </summary>
    private void ParseSwitch(ISwitchOperation operation, List<Stmt> output)
    {
        if (ParseTestedValue(operation.Value, "switches on", "switch on") is not { } value)
        {
            return;
        }

        string head = "switch (" + CommentOf(operation.Value.Syntax) + ") ";
        var sections = new List<(string Comment, Expr Test, EquatableArray<Stmt> Body)>();
        EquatableArray<Stmt> otherwise = EquatableArray<Stmt>.Empty;
        var declaredIn = new Dictionary<ILocalSymbol, ISwitchCaseOperation>(SymbolEqualityComparer.Default);
        foreach (ISwitchCaseOperation section in operation.Cases)
        {
            foreach (IVariableDeclaratorOperation declarator in section.Body.SelectMany(o => o.DescendantsAndSelf()).OfType<IVariableDeclaratorOperation>())
            {
                declaredIn[declarator.Symbol] = section;
            }
        }

        foreach (ISwitchCaseOperation section in operation.Cases)
        {
            int count = section.Body.Length;
            if (count > 0 && section.Body[count - 1] is IBranchOperation { BranchKind: BranchKind.Break } last
                && SymbolEqualityComparer.Default.Equals(last.Target, operation.ExitLabel))
            {
                count--;
            }

            List<IOperation> inside = section.Body.Take(count).SelectMany(o => o.DescendantsAndSelf()).ToList();
            if (inside.OfType<IBranchOperation>().FirstOrDefault(b => SymbolEqualityComparer.Default.Equals(b.Target, operation.ExitLabel)) is { } early)
            {
                Report(DiagnosticDescriptors.UnsupportedSwitchShape, early.Syntax.GetLocation(), CommentOf(early.Syntax), "a break before the end of a section",
                    "end the section with its break (use if/else inside it)");
                return;
            }

            if (inside.OfType<ILocalReferenceOperation>().FirstOrDefault(r => declaredIn.TryGetValue(r.Local, out ISwitchCaseOperation? home) && home != section) is { } shared)
            {
                Report(DiagnosticDescriptors.UnsupportedSwitchShape, shared.Syntax.GetLocation(), CommentOf(shared.Syntax), "a local declared in one section and used in another",
                    "declare it before the switch");
                return;
            }

            Expr? test = null;
            bool isDefault = false;
            foreach (ICaseClauseOperation clause in section.Clauses)
            {
                Expr? clauseTest;
                switch (clause)
                {
                    case IDefaultCaseClauseOperation:
                        isDefault = true;
                        continue;
                    case ISingleValueCaseClauseOperation single:
                        clauseTest = ConstantTest(single.Value, value);
                        break;
                    case IPatternCaseClauseOperation patternClause:
                        clauseTest = Guarded(ParsePattern(patternClause.Pattern, value), patternClause.Guard);
                        break;
                    default:
                        clauseTest = Unsupported(clause, "case labels of this kind (" + clause.CaseKind + ")", "use constants, patterns such as < 0, and default");
                        break;
                }

                if (clauseTest is null)
                {
                    return;
                }

                test = test is null ? clauseTest : new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalOr, test, clauseTest);
            }

            var body = new List<Stmt>();
            _nesting++;
            foreach (IOperation statement in section.Body.Take(count))
            {
                ParseStatement(statement, body);
            }

            _nesting--;
            if (isDefault)
            {
                otherwise = body.ToEquatableArray();
            }
            else if (test is not null)
            {
                string labels = section.Syntax is SwitchSectionSyntax syntax ? string.Join(" ", syntax.Labels.Select(l => CommentOf(l))) : "case";
                sections.Add((head + labels, test, body.ToEquatableArray()));
            }
        }

        for (int i = sections.Count - 1; i >= 0; i--)
        {
            otherwise = new[] { (Stmt)new IfStmt(sections[i].Comment, sections[i].Test, sections[i].Body, otherwise) }.ToEquatableArray();
        }

        output.AddRange(otherwise);
    }

    private void ParseWhile(IWhileLoopOperation loop, List<Stmt> output)
    {
        string head = loop.ConditionIsTop ? "while (" : "do ... while (";
        string comment = head + (loop.Condition is null ? string.Empty : CommentOf(loop.Condition.Syntax)) + ")";
        Expr condition = loop.Condition is null ? True : ParseValue(loop.Condition, ScalarKind.Bool) ?? True;
        if (loop.ConditionIsUntil)
        {
            condition = new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, condition);
        }

        var body = new List<Stmt>();
        _nesting++;
        ParseStatement(loop.Body, body);
        _nesting--;
        output.Add(new LoopStmt(comment, condition, body.ToEquatableArray(), EquatableArray<Stmt>.Empty, TestAtEnd: !loop.ConditionIsTop));
    }

    private void ParseFor(IForLoopOperation loop, List<Stmt> output)
    {
        string comment = loop.Syntax is ForStatementSyntax f
            ? "for (" + string.Join(", ", f.Declaration is null ? f.Initializers.Select(i => i.ToString()) : new[] { f.Declaration.ToString() })
              + "; " + f.Condition + "; " + string.Join(", ", f.Incrementors.Select(i => i.ToString())) + ")"
            : "for";
        foreach (IOperation before in loop.Before)
        {
            ParseStatement(before, output);
        }

        Expr condition = loop.Condition is null ? True : ParseValue(loop.Condition, ScalarKind.Bool) ?? True;
        _nesting++;
        var body = new List<Stmt>();
        ParseStatement(loop.Body, body);
        var step = new List<Stmt>();
        foreach (IOperation atBottom in loop.AtLoopBottom)
        {
            ParseStatement(atBottom, step);
        }

        _nesting--;
        output.Add(new LoopStmt(comment, condition, body.ToEquatableArray(), step.ToEquatableArray(), TestAtEnd: false));
    }

    // foreach (var v in xs) body  =>  for (int __i = 0; __i < xs.Length; __i++) { v = xs[__i]; body }
    private void ParseForEach(IForEachLoopOperation loop, List<Stmt> output)
    {
        string comment = loop.Syntax is ForEachStatementSyntax f ? "foreach (" + f.Type + " " + f.Identifier + " in " + f.Expression + ")" : "foreach";
        IOperation collection = loop.Collection;
        while (collection is IConversionOperation conversion)
        {
            collection = conversion.Operand;
        }

        if (SymbolOf(collection) is { } structsSymbol && _variables.TryGetValue(structsSymbol, out VarInfo? structs) && _structArrays.TryGetValue(structs.Name, out StructShape? elementShape)
            && loop.LoopControlVariable is IVariableDeclaratorOperation { Symbol: { RefKind: RefKind.None } item })
        {
            // foreach (Particle p in ps): p is a copy of each element in turn.
            CountedLoop("__i", comment, StructArrayLength(collection)!, output, (k, itemBody) =>
            {
                var start = new BinaryExpr(ScalarKind.Int, BinaryOp.Multiply, k, Int(elementShape.LeafCount));
                _structs[item] = LoadElement(new ElementPath(structs, start, 0, elementShape, default), comment, itemBody);
                ParseLoopBody(loop.Body, itemBody);
            });
            return;
        }

        if (JaggedOf(collection) is { } jagged && !IsPartialView(collection) && loop.LoopControlVariable is IVariableDeclaratorOperation { Symbol: { RefKind: RefKind.None } row })
        {
            // foreach (double[] row in xs): row is a view of each row in turn.
            CountedLoop("__i", comment, jagged.Info.Count, output, (k, rowBody) =>
            {
                BindView(row, RowView(jagged.Array, jagged.Info, k), comment, rowBody);
                ParseLoopBody(loop.Body, rowBody);
            });
            return;
        }

        // foreach (double v in xs[i]): over a row of a jagged array, held where the loop starts (the body may change i).
        ArrayView? array = collection is ILocalReferenceOperation or IParameterReferenceOperation ? ViewOf(collection)
            : collection is IArrayElementReferenceOperation && loop.LoopControlVariable is IVariableDeclaratorOperation { Symbol.Type: var itemType } && TypeClassifier.TryScalar(itemType, out _)
              && ViewOf(collection) is { Start: not null } oneRow ? Hold(oneRow, "__row", comment, output)
            : null;
        if (array is null || loop.LoopControlVariable is not IVariableDeclaratorOperation { Symbol: var local }
            || !TypeClassifier.TryScalar(local.Type, out ScalarKind elementKind) || local.RefKind != RefKind.None)
        {
            Report(DiagnosticDescriptors.UnsupportedStatement, loop.Syntax.GetLocation(), comment, "foreach over this collection",
                "iterate over an array or span parameter or local array, with a scalar loop variable (not a ref one), over the rows of a jagged array, or over one row");
            return;
        }

        VarInfo element = DeclareLocal(local, elementKind, ShapeKind.Scalar);
        CountedLoop("__i", comment, array.Length, output, (index, body) =>
        {
            body.Add(new AssignStmt(comment, element.Name, null, ConvertTo(new ElemExpr(array.Base.Kind, array.Base.Name, array.At(index)), elementKind), IsDeclaration: true));
            ParseLoopBody(loop.Body, body);
        });
    }

    // A loop's body, one level deeper.
    private void ParseLoopBody(IOperation body, List<Stmt> output)
    {
        _nesting++;
        ParseStatement(body, output);
        _nesting--;
    }

    private static readonly Expr True = new ConstExpr(ScalarKind.Bool, "true");
}
