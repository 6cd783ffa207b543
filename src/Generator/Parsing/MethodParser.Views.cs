using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// Jagged arrays (T[][] and T[][,]) and views. In the IR a jagged parameter is one span of all its elements, row after row
// (or matrix after matrix), with its count and where each row starts (and each matrix's counts) in int parameters beside
// it. A row, a[i], is then a view: the span, where the row starts in it, and its length; a helper's array parameter bound
// to a row, a foreach variable over the rows and a local that names a row are views too.
internal sealed partial class MethodParser
{
    /// <summary>An array as the IR reads it: the variable that holds its elements, where they start in it (null: at 0),
    /// how many there are, and a matrix's row and column counts.</summary>
    private sealed record ArrayView(VarInfo Base, Expr? Start, Expr Length, Expr? Rows, Expr? Columns)
    {
        public bool IsMatrix => Rows is not null;

        /// <summary>The index into <see cref="Base"/> of element <paramref name="index"/> of the view.</summary>
        public Expr At(Expr index) => Start is null ? index : new BinaryExpr(ScalarKind.Int, BinaryOp.Add, Start, index);
    }

    /// <summary>A jagged variable: its count, where each row starts (count + 1 entries), and for T[][,] each matrix's counts.</summary>
    private sealed record JaggedInfo(Expr Count, string Starts, string? RowCounts, string? ColumnCounts);

    private readonly Dictionary<string, JaggedInfo> _jagged = new();

    // Parameters, foreach variables and locals that name part of an array (a row of a jagged one).
    private readonly Dictionary<ISymbol, ArrayView> _views = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// Gives each <c>T[][]</c> or <c>T[][,]</c> parameter its count and starts parameters (and for matrices their counts),
    /// named after all the user's parameters.
    /// </summary>
    private void DeclareJaggedParameters()
    {
        foreach (IParameterSymbol parameter in _method.Parameters)
        {
            if (TypeClassifier.TryJagged(parameter.Type, out _, out bool matrices) && _variables.TryGetValue(parameter, out VarInfo? array))
            {
                string stem = array.Name.TrimStart('@');
                var count = new VarInfo(_names.Fresh(stem + "Count"), ScalarKind.Int, ShapeKind.Scalar, VarRole.Parameter, false);
                var starts = new VarInfo(_names.Fresh(stem + "Starts"), ScalarKind.Int, ShapeKind.ReadOnlySpan, VarRole.Parameter, false);
                var extra = new List<VarInfo> { count, starts };
                VarInfo? rows = null, columns = null;
                if (matrices)
                {
                    rows = new VarInfo(_names.Fresh(stem + "RowCounts"), ScalarKind.Int, ShapeKind.ReadOnlySpan, VarRole.Parameter, false);
                    columns = new VarInfo(_names.Fresh(stem + "ColumnCounts"), ScalarKind.Int, ShapeKind.ReadOnlySpan, VarRole.Parameter, false);
                    extra.Add(rows);
                    extra.Add(columns);
                }

                _extraParameters[array.Name] = extra.ToArray();
                _jagged[array.Name] = new JaggedInfo(new VarExpr(ScalarKind.Int, count.Name), starts.Name, rows?.Name, columns?.Name);
            }
        }
    }

    /// <summary>
    /// The array an operation names, as a view: a whole array or matrix variable, a row of a jagged one (<c>a[i]</c>), or
    /// a symbol bound to a view. Null for anything else, and for a jagged array as a whole.
    /// </summary>
    private ArrayView? ViewOf(IOperation operation)
    {
        operation = Unconverted(operation);
        if (SymbolOf(operation) is { } symbol && _views.TryGetValue(symbol, out ArrayView? bound))
        {
            return bound;
        }

        if (operation is IArrayElementReferenceOperation { Indices.Length: 1 } row && JaggedOf(row.ArrayReference) is { } jagged)
        {
            return ParseValue(row.Indices[0], ScalarKind.Int) is { } index ? RowView(jagged.Array, jagged.Info, index) : null;
        }

        if (IndexableOf(operation) is not { } array || _jagged.ContainsKey(array.Name))
        {
            return null;
        }

        return _matrices.TryGetValue(array.Name, out (Expr Rows, Expr Columns) counts)
            ? new ArrayView(array, null, new LengthExpr(array.Name), counts.Rows, counts.Columns)
            : new ArrayView(array, null, new LengthExpr(array.Name), null, null);
    }

    /// <summary>Row <paramref name="index"/> of a jagged array (matrix <paramref name="index"/> of a T[][,]).</summary>
    private static ArrayView RowView(VarInfo array, JaggedInfo info, Expr index)
    {
        {
            Expr start = new ElemExpr(ScalarKind.Int, info.Starts, index);
            Expr next = new ElemExpr(ScalarKind.Int, info.Starts, new BinaryExpr(ScalarKind.Int, BinaryOp.Add, index, Int(1)));
            Expr length = new BinaryExpr(ScalarKind.Int, BinaryOp.Subtract, next, start);
            return info.RowCounts is { } rowCounts
                ? new ArrayView(array, start, length, new ElemExpr(ScalarKind.Int, rowCounts, index), new ElemExpr(ScalarKind.Int, info.ColumnCounts!, index))
                : new ArrayView(array, start, length, null, null);
        }
    }

    /// <summary>A jagged parameter (or a helper's jagged parameter bound to one), and what the IR knows of it.</summary>
    /// <remarks>Only variables: a call of a helper is never jagged, and is not inlined by asking.</remarks>
    private (VarInfo Array, JaggedInfo Info)? JaggedOf(IOperation operation)
        => SymbolOf(Unconverted(operation)) is { } symbol && !_views.ContainsKey(symbol)
            && _variables.TryGetValue(symbol, out VarInfo? array) && _jagged.TryGetValue(array.Name, out JaggedInfo? info) ? (array, info) : null;

    /// <summary>Whether an operation names part of an array (a row, or a symbol bound to one): it cannot be passed as a whole array.</summary>
    private bool IsPartialView(IOperation operation)
    {
        operation = Unconverted(operation);
        return (SymbolOf(operation) is { } symbol && _views.TryGetValue(symbol, out ArrayView? view) && view.Start is not null)
            || (operation is IArrayElementReferenceOperation { Indices.Length: 1 } row && JaggedOf(row.ArrayReference) is not null);
    }

    /// <summary>
    /// Binds <paramref name="symbol"/> to a view: its start and length (and counts) read once into fresh int locals here,
    /// so that the view stays where it was made when the index it came from changes.
    /// </summary>
    private void BindView(ISymbol symbol, ArrayView view, string comment, List<Stmt> output)
    {
        if (view.Start is null)
        {
            _variables[symbol] = view.Base;
            return;
        }

        _variables[symbol] = view.Base;
        _views[symbol] = Hold(view, symbol.Name.TrimStart('@'), comment, output);
    }

    /// <summary>A view whose start and length (and counts) are read once, here, into fresh int locals named from <paramref name="stem"/>.</summary>
    private ArrayView Hold(ArrayView view, string stem, string comment, List<Stmt> output)
    {
        Expr Keep(string name, Expr value)
        {
            var local = new VarInfo(_names.Fresh(stem + name), ScalarKind.Int, ShapeKind.Scalar, VarRole.Local, false);
            _locals.Add(local);
            output.Add(new AssignStmt(comment, local.Name, null, value, IsDeclaration: true));
            return new VarExpr(ScalarKind.Int, local.Name);
        }

        Expr? start = view.Start is null ? null : Keep("Start", view.Start);
        Expr length = Keep("Length", view.Length);
        Expr? rows = view.Rows is null ? null : Keep("Rows", view.Rows);
        Expr? columns = view.Columns is null ? null : Keep("Columns", view.Columns);
        return new ArrayView(view.Base, start, length, rows, columns);
    }

    /// <summary>
    /// A return of a method that returns a <c>T[]</c> (not of a helper inlined in it): the array it returns copied into
    /// the results, then the return. Each return copies its own array, so paths may return different ones.
    /// </summary>
    private void ReturnArray(VarInfo returned, string comment, List<Stmt> output)
    {
        _returnedArrays.Add(returned);
        if (_resultParameter is not null && _output is not null && _inlining.Count == 0)
        {
            // The results span is sized by the caller (from a seed's length, a Jacobian's rows or the method's own
            // result), so an array of another length is an error, never a part copied.
            var lengths = new BinaryExpr(ScalarKind.Bool, BinaryOp.NotEqual, new LengthExpr(returned.Name), new LengthExpr(_output.Name));
            string text = $"global::Autodiff.Generated.AutodiffHelpers.ThrowResultLength({returned.Name}.Length, {_output.Name}.Length);";
            var reads = new EquatableArray<string>(new[] { returned.Name, _output.Name });
            output.Add(new IfStmt(comment, lengths, new EquatableArray<Stmt>(new Stmt[] { new GuardStmt(comment, text, reads) }), EquatableArray<Stmt>.Empty));
            CountedLoop("__k", comment, new LengthExpr(_output.Name), output,
                (counter, copy) => copy.Add(new AssignStmt(comment, _output.Name, counter, new ElemExpr(returned.Kind, returned.Name, counter), IsDeclaration: false)));
        }

        output.Add(new ReturnStmt(comment, new ConstExpr(_returnKind, Literal.Of(0, _returnKind))));
    }

    /// <summary><c>a.Length</c> of an array, a view or a jagged array (its count).</summary>
    private Expr? ParseLength(IOperation instance)
    {
        if (StructArrayLength(instance) is { } count)
        {
            return count;
        }

        if (JaggedOf(instance) is { } jagged && !IsPartialView(instance))
        {
            return jagged.Info.Count;
        }

        return ViewOf(instance)?.Length;
    }
}
