using Autodiff;
using Autodiff.Layers;

namespace RowRnn;

/// <summary>
/// A recurrent classifier that reads each 8x8 digit one pixel row at a time: hₜ = tanh(Input·rowₜ + Recur·hₜ₋₁),
/// class scores from the last h. The loop over rows is a counted loop in model code; the generator writes the
/// backward pass through time.
/// </summary>
[Model]
public sealed partial class RowRnnModel
{
    public const int Classes = 10;

    public RowRnnModel(int rowWidth, int rows, int hidden, int seed)
    {
        var random = new Random(seed);
        RowWidth = rowWidth;
        Rows = rows;
        Input = new Dense(rowWidth, hidden, random, xavier: true);
        Recur = new Dense(hidden, hidden, random, xavier: true);
        Output = new Dense(hidden, Classes, random, xavier: true);
    }

    /// <summary>Pixels per row (the input of one step).</summary>
    public int RowWidth { get; }

    /// <summary>Rows per image (the number of steps).</summary>
    public int Rows { get; }

    public Dense Input { get; }

    public Dense Recur { get; }

    public Dense Output { get; }

    /// <summary>Class scores, shape (batch, 10), for images of shape (batch, rows · rowWidth), stored row after row.</summary>
    [Differentiable]
    public Tensor Forward(Tensor images)
    {
        // (pixels, batch): image row r is rows r·RowWidth .. (r+1)·RowWidth of this matrix.
        Tensor pixels = Tensor.Transpose(images);
        Tensor h = Tensor.Tanh(Input.Forward(Tensor.Transpose(Tensor.SliceRows(pixels, 0, RowWidth))));
        for (int row = 1; row < Rows; row++)
        {
            Tensor next = Tensor.Transpose(Tensor.SliceRows(pixels, row * RowWidth, RowWidth));
            h = Tensor.Tanh(Input.Forward(next) + Recur.Forward(h));
        }

        return Output.Forward(h);
    }

    /// <summary>Mean softmax cross-entropy of a batch.</summary>
    [Differentiable]
    public float Loss(Tensor images, int[] labels) => Tensor.SoftmaxCrossEntropy(Forward(images), labels);
}
