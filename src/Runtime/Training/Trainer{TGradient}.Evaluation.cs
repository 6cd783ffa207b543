using System;
using System.Numerics.Tensors;
using Autodiff.Data;

namespace Autodiff.Training;

/// <content>Metrics and predictions: softmax cross-entropy and accuracy of the model's logits, alone or as a snapshot ensemble.</content>
public sealed partial class Trainer<TGradient>
{
    /// <summary>Mean softmax cross-entropy and accuracy of the model's logits over <paramref name="data"/> (the current parameters).</summary>
    public (double Loss, double Accuracy) Evaluate(LabeledData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double loss = 0;
        int correct = 0;
        float[] logProbabilities = Array.Empty<float>();
        ForEachLogitBatch(data, (start, logits) =>
        {
            int classes = logits.Columns;
            logProbabilities = logProbabilities.Length >= logits.Length ? logProbabilities : new float[logits.Length];
            Span<float> logP = logProbabilities.AsSpan(0, logits.Length);
            Ops.Softmax.LogForward(logits.Span, classes, logP);
            for (int r = 0; r < logits.Rows; r++)
            {
                int label = data.Labels[start + r];
                loss -= (uint)label < (uint)classes ? logP[r * classes + label] : double.NaN;
                correct += TensorPrimitives.IndexOfMax(logits.Span.Slice(r * classes, classes)) == label ? 1 : 0;
            }
        });
        return (loss / Math.Max(1, data.Count), (double)correct / Math.Max(1, data.Count));
    }

    /// <summary>The most likely class of every row (the current parameters).</summary>
    public int[] Predict(LabeledData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int[] predicted = new int[data.Count];
        ForEachLogitBatch(data, (start, logits) =>
        {
            for (int r = 0; r < logits.Rows; r++)
            {
                predicted[start + r] = TensorPrimitives.IndexOfMax(logits.Span.Slice(r * logits.Columns, logits.Columns));
            }
        });
        return predicted;
    }

    /// <summary>Snapshots kept for ensembling (oldest first).</summary>
    public int SnapshotCount => _copies.Snapshots.Count;

    /// <summary>
    /// Snapshot ensemble (Huang et al., 2017): the class whose probability, averaged over the kept snapshots'
    /// softmax outputs, is highest. Needs <see cref="TrainerOptions.Snapshots"/>; the model's parameters are left as they were.
    /// </summary>
    public int[] PredictEnsemble(LabeledData data) => Ensemble(data).Predicted;

    /// <summary>Cross-entropy of the averaged probabilities and accuracy of <see cref="PredictEnsemble"/>.</summary>
    public (double Loss, double Accuracy) EvaluateEnsemble(LabeledData data)
    {
        (double loss, int[] predicted) = Ensemble(data);
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            correct += predicted[i] == data.Labels[i] ? 1 : 0;
        }

        return (loss, (double)correct / Math.Max(1, data.Count));
    }

    private (double Loss, int[] Predicted) Ensemble(LabeledData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_copies.Snapshots.Count == 0)
        {
            throw new InvalidOperationException("No snapshots to ensemble: set TrainerOptions.Snapshots and train first.");
        }

        // Mean of the snapshots' softmax outputs, per row and class.
        float[]? probabilities = null;
        float[] softmax = Array.Empty<float>();
        foreach (Tensor[] snapshot in _copies.Snapshots)
        {
            _copies.With(snapshot, () =>
            {
                ForEachLogitBatch(data, (start, logits) =>
                {
                    probabilities ??= new float[data.Count * logits.Columns];
                    softmax = softmax.Length >= logits.Length ? softmax : new float[logits.Length];
                    Span<float> p = softmax.AsSpan(0, logits.Length);
                    Ops.Softmax.Forward(logits.Span, logits.Columns, p);
                    TensorPrimitives.MultiplyAdd(p, 1f / _copies.Snapshots.Count, probabilities.AsSpan(start * logits.Columns, logits.Length), probabilities.AsSpan(start * logits.Columns, logits.Length));
                });
            });
        }

        int classes = probabilities!.Length / Math.Max(1, data.Count);
        int[] predicted = new int[data.Count];
        double loss = 0;
        for (int row = 0; row < data.Count; row++)
        {
            ReadOnlySpan<float> p = probabilities.AsSpan(row * classes, classes);
            predicted[row] = TensorPrimitives.IndexOfMax(p);
            loss -= Math.Log(Math.Max(p[data.Labels[row]], 1e-300));
        }

        return (loss / Math.Max(1, data.Count), predicted);
    }

    // The logits of every row, in batches of EvaluationBatchSize: (first row, logits (rows, classes)).
    private void ForEachLogitBatch(LabeledData data, Action<int, Tensor> onBatch)
    {
        Tensor? x = null;
        for (int start = 0; start < data.Count; start += Options.EvaluationBatchSize)
        {
            int count = Math.Min(Options.EvaluationBatchSize, data.Count - start);
            x = Tensor.Reuse(x, count, data.FeatureCount);
            TensorPrimitives.ConvertTruncating<double, float>(data.Features.AsSpan(start * data.FeatureCount, count * data.FeatureCount), x.Span);
            Tensor logits = _logits(x);
            if (logits.Rank != 2 || logits.Rows != count)
            {
                throw new InvalidOperationException($"The logits function returned shape {logits.ShapeText} for {count} rows; expected ({count}, classes).");
            }

            onBatch(start, logits);
        }
    }
}
