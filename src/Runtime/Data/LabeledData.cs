using System;

namespace Autodiff.Data;

/// <summary>Rows of features with integer class labels: <c>Features</c> is (Count, FeatureCount), row-major.</summary>
public sealed class LabeledData
{
    /// <summary>Wraps features (row-major) and labels; checks that the shapes agree.</summary>
    public LabeledData(double[] features, int[] labels, int featureCount, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        if (features.Length != labels.Length * featureCount)
        {
            throw new ArgumentException($"features has {features.Length} values; expected {labels.Length} rows x {featureCount}.", nameof(features));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException($"label {i} is {labels[i]}; labels must be in 0..{classCount - 1}.", nameof(labels));
            }
        }

        for (int i = 0; i < features.Length; i++)
        {
            if (!double.IsFinite(features[i]))
            {
                throw new ArgumentException($"row {i / featureCount}, feature {i % featureCount} is {features[i]}; features must be finite numbers.", nameof(features));
            }
        }

        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>All features, row after row.</summary>
    public double[] Features { get; }

    /// <summary>One label per row, in 0..ClassCount-1.</summary>
    public int[] Labels { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Labels.Length;

    /// <summary>The features of row <paramref name="index"/>.</summary>
    public ReadOnlySpan<double> Row(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The rows at <paramref name="indices"/>, copied (for splits).</summary>
    public LabeledData Select(ReadOnlySpan<int> indices)
    {
        var features = new double[indices.Length * FeatureCount];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Row(indices[i]).CopyTo(features.AsSpan(i * FeatureCount, FeatureCount));
            labels[i] = Labels[indices[i]];
        }

        return new LabeledData(features, labels, FeatureCount, ClassCount);
    }

    /// <summary>Splits off the last <paramref name="fraction"/> of a seeded shuffle as validation data.</summary>
    public (LabeledData Train, LabeledData Validation) Split(double fraction, int seed)
    {
        if (fraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must be between 0 and 1.");
        }

        int[] order = ShuffledRows(seed);
        int validation = Math.Max(1, (int)Math.Round(Count * fraction));
        return (Select(order.AsSpan(validation)), Select(order.AsSpan(0, validation)));
    }

    /// <summary>
    /// Splits a seeded shuffle three ways: <paramref name="validationFraction"/> and <paramref name="testFraction"/>
    /// of the rows (at least one each) for validation and test, the rest for training.
    /// </summary>
    public (LabeledData Train, LabeledData Validation, LabeledData Test) Split(double validationFraction, double testFraction, int seed)
    {
        if (validationFraction is <= 0 or >= 1 || testFraction is <= 0 or >= 1 || validationFraction + testFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), $"The validation ({validationFraction}) and test ({testFraction}) fractions must be positive and sum to less than 1.");
        }

        int[] order = ShuffledRows(seed);
        int validation = Math.Max(1, (int)Math.Round(Count * validationFraction));
        int test = Math.Max(1, (int)Math.Round(Count * testFraction));
        if (validation + test >= Count)
        {
            throw new ArgumentException($"{Count} rows are too few for a {validation}-row validation and a {test}-row test split.");
        }

        return (Select(order.AsSpan(validation + test)), Select(order.AsSpan(0, validation)), Select(order.AsSpan(validation, test)));
    }

    /// <summary>0..Count-1 in a seeded random order (the splits take slices of it).</summary>
    private int[] ShuffledRows(int seed)
    {
        int[] order = new int[Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        new Random(seed).Shuffle(order);
        return order;
    }
}
