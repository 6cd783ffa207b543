using System;
using System.Globalization;
using System.Text;

namespace Autodiff;

/// <summary>
/// A dense, row-major <see cref="float"/> tensor of rank 1 to 4: a shape and a span over its data.
/// </summary>
/// <remarks>
/// Ops are static methods (<see cref="MatMul(Tensor, Tensor)"/>, <see cref="Relu(Tensor)"/>, operators, ...)
/// whose derivatives are registered for the generator in <see cref="TensorDerivatives"/>, the same way a user
/// registers a custom derivative. Every op has an overload with a trailing <c>into</c> tensor: the result is
/// written there when its buffer is large enough (its shape is changed to the result's), so that generated
/// training code reuses the same buffers on every step and allocates nothing after the first one.
/// </remarks>
public sealed partial class Tensor
{
    private float[] _data;
    private int[] _shape;
    private int _length;
    private bool _deferredZero;

    /// <summary>A zero tensor of the given shape, e.g. <c>new Tensor(128, 10)</c>.</summary>
    public Tensor(params int[] shape)
    {
        _shape = CheckShape(shape, out _length);
        _data = _length == 0 ? Array.Empty<float>() : new float[_length];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of the given shape.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        _shape = CheckShape(shape, out _length);
        if (data.Length != _length)
        {
            throw new ArgumentException($"The shape {Format(shape)} holds {_length} values but the data has {data.Length}.", nameof(data));
        }

        _data = data;
    }

    /// <summary>Number of dimensions (1 to 4).</summary>
    public int Rank => _shape.Length;

    /// <summary>The size of each dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of values.</summary>
    public int Length => _length;

    /// <summary>The last dimension (a row's length).</summary>
    public int Columns => _shape[^1];

    /// <summary>Number of rows when the tensor is seen as a matrix (all dimensions but the last).</summary>
    public int Rows => _shape[^1] == 0 ? 0 : _length / _shape[^1];

    /// <summary>The values, row-major.</summary>
    public Span<float> Span
    {
        get
        {
            if (_deferredZero)
            {
                _deferredZero = false;
                _data.AsSpan(0, _length).Clear();
            }

            return _data.AsSpan(0, _length);
        }
    }

    /// <summary>Row <paramref name="row"/> of the matrix view.</summary>
    public Span<float> Row(int row) => Span.Slice(row * Columns, Columns);

    /// <summary>The value at a flat index.</summary>
    public ref float this[int index] => ref Span[index];

    /// <summary>The value at (row, column) of the matrix view.</summary>
    public ref float this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
            {
                throw new IndexOutOfRangeException($"({row}, {column}) is outside a tensor of shape {ShapeText}.");
            }

            return ref Span[row * Columns + column];
        }
    }

    /// <summary>The shape as text, e.g. <c>(128, 10)</c>.</summary>
    public string ShapeText => Format(_shape);

    /// <summary>A zero tensor of the given shape.</summary>
    public static Tensor Zeros(params int[] shape) => new(shape);

    /// <summary>A zero tensor with the shape of <paramref name="other"/>.</summary>
    public static Tensor ZerosLike(Tensor other) => new((int[])other._shape.Clone());

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = new Tensor(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A copy of <paramref name="values"/> with the given shape.</summary>
    public static Tensor FromArray(float[] values, params int[] shape) => new((float[])values.Clone(), shape);

    /// <summary>A (rows, columns) tensor from a rectangular array.</summary>
    public static Tensor FromRows(float[,] values)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var t = new Tensor(rows, columns);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                t._data[i * columns + j] = values[i, j];
            }
        }

        return t;
    }

    /// <summary>A deep copy.</summary>
    public Tensor Clone() => new(Span.ToArray(), (int[])_shape.Clone());

    /// <summary>Copies the values into <paramref name="destination"/>, which must have the same length.</summary>
    public void CopyTo(Tensor destination)
    {
        if (destination.Length != Length)
        {
            throw new ArgumentException($"Cannot copy a tensor of shape {ShapeText} into one of shape {destination.ShapeText}.", nameof(destination));
        }

        Span.CopyTo(destination.Span);
    }

    /// <summary>Σ x², accumulated in double.</summary>
    public double SquaredNorm()
    {
        double sum = 0;
        foreach (float v in Span)
        {
            sum += (double)v * v;
        }

        return sum;
    }

    /// <summary>Sets every value to zero.</summary>
    public void Clear()
    {
        _deferredZero = false;
        _data.AsSpan(0, _length).Clear();
    }

    /// <summary>
    /// Sets every value to zero lazily: nothing is written now; the next <see cref="Span"/> access (or any other
    /// read) zeroes the memory, unless a derivative kernel gets there first and overwrites the whole tensor instead
    /// of adding to it (which saves the zeroing pass and a read). Generated backward passes clear adjoints this way.
    /// A span taken before this call still sees the old values.
    /// </summary>
    public void ClearDeferred() => _deferredZero = true;

    /// <summary>
    /// The values for a kernel that adds to all of them: <paramref name="overwrite"/> is true when the tensor is
    /// pending a deferred clear, and the kernel must then write every value instead of adding.
    /// </summary>
    internal Span<float> AccumulationTarget(out bool overwrite)
    {
        overwrite = _deferredZero;
        _deferredZero = false;
        return _data.AsSpan(0, _length);
    }

    /// <summary>True when the shapes are equal.</summary>
    public bool SameShape(Tensor other) => ((ReadOnlySpan<int>)_shape).SequenceEqual(other._shape);

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder("Tensor").Append(ShapeText).Append(" [");
        int shown = Math.Min(_length, 8);
        for (int i = 0; i < shown; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(Span[i].ToString("G5", CultureInfo.InvariantCulture));
        }

        return text.Append(_length > shown ? ", ...]" : "]").ToString();
    }

    /// <summary>
    /// Returns <paramref name="into"/> reshaped to (<paramref name="d0"/>) when its buffer is large enough,
    /// else a new tensor. The values are not cleared.
    /// </summary>
    public static Tensor Reuse(Tensor? into, int d0) => Reuse(into, 1, d0, 0, d0);

    /// <summary>Returns <paramref name="into"/> reshaped to (<paramref name="d0"/>, <paramref name="d1"/>) when large enough, else a new tensor.</summary>
    public static Tensor Reuse(Tensor? into, int d0, int d1) => Reuse(into, 2, d0, d1, d0 * d1);

    /// <summary>Returns <paramref name="into"/> with the shape of <paramref name="like"/> when large enough, else a new tensor.</summary>
    public static Tensor ReuseLike(Tensor? into, Tensor like)
    {
        if (into is not null && into._data.Length >= like._length)
        {
            if (into._shape.Length != like._shape.Length)
            {
                into._shape = new int[like._shape.Length];
            }

            like._shape.CopyTo(into._shape, 0);
            into._length = like._length;
            return into;
        }

        return ZerosLike(like);
    }

    private static Tensor Reuse(Tensor? into, int rank, int d0, int d1, int length)
    {
        if (d0 < 0 || d1 < 0)
        {
            throw new ArgumentException($"Negative dimension in ({d0}, {d1}).");
        }

        if (into is not null && into._data.Length >= length)
        {
            if (into._shape.Length != rank)
            {
                into._shape = new int[rank];
            }

            into._shape[0] = d0;
            if (rank == 2)
            {
                into._shape[1] = d1;
            }

            into._length = length;
            return into;
        }

        return rank == 1 ? new Tensor(d0) : new Tensor(d0, d1);
    }

    private static int[] CheckShape(int[] shape, out int length)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length is < 1 or > 4)
        {
            throw new ArgumentException($"A tensor has 1 to 4 dimensions; got {shape.Length}.", nameof(shape));
        }

        long total = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Negative dimension in shape {Format(shape)}.", nameof(shape));
            }

            total *= d;
            if (total > Array.MaxLength)
            {
                throw new ArgumentException($"The shape {Format(shape)} is too large.", nameof(shape));
            }
        }

        length = (int)total;
        return (int[])shape.Clone();
    }

    internal static string Format(ReadOnlySpan<int> shape)
    {
        var text = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(shape[i]);
        }

        return text.Append(shape.Length == 1 ? ",)" : ")").ToString();
    }
}
