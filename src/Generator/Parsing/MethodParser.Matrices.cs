using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Two-dimensional arrays, T[,]: in the IR each is a span of its elements row by row, with its row and column counts in
// two int variables beside it; a[i, j] is a[i * columns + j], a.GetLength(0) and a.GetLength(1) the counts.
internal sealed partial class MethodParser
{
    // The row and column counts of each matrix variable of the IR (a parameter, a local, or a helper's bound to them).
    private readonly Dictionary<string, (Expr Rows, Expr Columns)> _matrices = new();

    // The method's own T[,], T[][] and T[][,] parameters: the parameters that follow each in the IR's parameter list.
    private readonly Dictionary<string, VarInfo[]> _extraParameters = new();

    /// <summary>
    /// Gives each <c>T[,]</c> parameter its row and column count parameters (named after all the user's parameters, so
    /// that no name of theirs is taken).
    /// </summary>
    private void DeclareMatrixParameters()
    {
        foreach (IParameterSymbol parameter in _method.Parameters)
        {
            if (TypeClassifier.TryMatrix(parameter.Type, out _) && _variables.TryGetValue(parameter, out VarInfo? array))
            {
                string stem = array.Name.TrimStart('@');
                var rows = new VarInfo(_names.Fresh(stem + "Rows"), ScalarKind.Int, ShapeKind.Scalar, VarRole.Parameter, false);
                var columns = new VarInfo(_names.Fresh(stem + "Columns"), ScalarKind.Int, ShapeKind.Scalar, VarRole.Parameter, false);
                _extraParameters[array.Name] = new[] { rows, columns };
                _matrices[array.Name] = (new VarExpr(ScalarKind.Int, rows.Name), new VarExpr(ScalarKind.Int, columns.Name));
            }
        }
    }

    private bool IsMatrix(VarInfo array) => _matrices.ContainsKey(array.Name);

    /// <summary>
    /// A local <c>T[,]</c>: <c>new T[rows, columns]</c>, or with an initializer of rows. Its counts go to two int locals
    /// first, then its elements to a local array of rows times columns.
    /// </summary>
    /// <remarks>Without a <paramref name="local"/> (<c>return new double[,] { ... };</c>), the matrix is a fresh local.</remarks>
    private VarInfo? ParseMatrixCreation(ILocalSymbol? local, ScalarKind kind, IOperation? value, string comment, Location location, List<Stmt> output)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        if (value is not IArrayCreationOperation { DimensionSizes.Length: 2 } creation)
        {
            Report(DiagnosticDescriptors.UnsupportedExpression, location, comment, "matrix aliases and matrix values other than new T[rows, columns]",
                "create the local matrix with new T[rows, columns] and fill it element by element");
            MarkReported(local);
            return null;
        }

        IArrayInitializerOperation[]? rows = null;
        if (creation.Initializer is { } initializer)
        {
            rows = initializer.ElementValues.OfType<IArrayInitializerOperation>().ToArray();
        }

        Expr? rowCount = ParseValue(creation.DimensionSizes[0], ScalarKind.Int);
        Expr? columnCount = ParseValue(creation.DimensionSizes[1], ScalarKind.Int);
        if (rowCount is null || columnCount is null)
        {
            MarkReported(local);
            return null;
        }

        VarInfo info = local is null ? AddLocalArray("__matrix", kind) : DeclareLocal(local, kind, ShapeKind.Span);
        string stem = info.Name.TrimStart('@');
        string rowsName = AddCount(stem + "Rows", rowCount);
        string columnsName = AddCount(stem + "Columns", columnCount);
        var rowsRead = new VarExpr(ScalarKind.Int, rowsName);
        var columnsRead = new VarExpr(ScalarKind.Int, columnsName);
        _matrices[info.Name] = (rowsRead, columnsRead);
        output.Add(new ArrayDeclStmt(comment, info.Name, new BinaryExpr(ScalarKind.Int, BinaryOp.Multiply, rowsRead, columnsRead)));
        if (rows is null)
        {
            return info;
        }

        int columns = rows.Length == 0 ? 0 : rows[0].ElementValues.Length;
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < rows[i].ElementValues.Length; j++)
            {
                if (ParseValue(rows[i].ElementValues[j], kind) is { } element)
                {
                    output.Add(new AssignStmt(comment, info.Name, Int(i * columns + j), element, IsDeclaration: false));
                }
            }
        }

        return info;

        string AddCount(string name, Expr count)
        {
            var variable = new VarInfo(_names.Fresh(name), ScalarKind.Int, ShapeKind.Scalar, VarRole.Local, false);
            _locals.Add(variable);
            output.Add(new AssignStmt(comment, variable.Name, null, count, IsDeclaration: true));
            return variable.Name;
        }
    }

    private void MarkReported(ILocalSymbol? local)
    {
        if (local is not null)
        {
            _reported.Add(local);
        }
    }

    /// <summary>A local array of the IR that no local of the source names (an array a helper creates in its return).</summary>
    private VarInfo AddLocalArray(string stem, ScalarKind kind)
    {
        var info = new VarInfo(_names.Fresh(stem), kind, ShapeKind.Span, VarRole.Local, false);
        _locals.Add(info);
        return info;
    }

    /// <summary><c>a[i, j]</c> of a matrix: the element at <c>i * columns + j</c> of its span.</summary>
    private ElemExpr? ParseMatrixElement(IArrayElementReferenceOperation element)
    {
        if (ViewOf(element.ArrayReference) is not { IsMatrix: true } view)
        {
            if (!(element.ArrayReference is ILocalReferenceOperation { Local: var local } && _reported.Contains(local)) && !IsArrayHelperCall(element.ArrayReference, out _))
            {
                Unsupported(element, "element accesses of this kind", "index a two-dimensional array parameter or local with two ints");
            }

            return null;
        }

        if (ParseValue(element.Indices[0], ScalarKind.Int) is not { } row || ParseValue(element.Indices[1], ScalarKind.Int) is not { } column)
        {
            return null;
        }

        Expr offset = row is ConstExpr { Text: "0" } ? column : new BinaryExpr(ScalarKind.Int, BinaryOp.Add, new BinaryExpr(ScalarKind.Int, BinaryOp.Multiply, row, view.Columns!), column);
        return new ElemExpr(view.Base.Kind, view.Base.Name, view.At(offset));
    }

    /// <summary><c>a.GetLength(d)</c> of an array or matrix variable: its length, or a matrix's row or column count.</summary>
    private Expr? ParseGetLength(IInvocationOperation invocation)
    {
        if (invocation.Instance is not { } instance || ParseValue(invocation.Arguments[0].Value, ScalarKind.Int) is not { } dimension)
        {
            return null;
        }

        if (ViewOf(instance) is not { IsMatrix: true } view)
        {
            return ParseLength(instance);
        }

        return dimension switch
        {
            ConstExpr { Text: "0" } => view.Rows,
            ConstExpr { Text: "1" } => view.Columns,
            ConstExpr => Unsupported(invocation, "GetLength of a dimension that a two-dimensional array does not have", "use GetLength(0) for the rows or GetLength(1) for the columns"),
            _ => new CondExpr(ScalarKind.Int, new BinaryExpr(ScalarKind.Bool, BinaryOp.Equal, dimension, Int(0)), view.Rows!, view.Columns!),
        };
    }

    /// <summary>Whether a call is <c>GetLength</c> of an array (<c>System.Array.GetLength</c>).</summary>
    private static bool IsGetLength(IMethodSymbol target)
        => target.Name == "GetLength" && target.Parameters.Length == 1 && target.ContainingType?.SpecialType == SpecialType.System_Array;

    private static ConstExpr Int(int value) => new(ScalarKind.Int, value.ToString(CultureInfo.InvariantCulture));
}
