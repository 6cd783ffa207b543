using System.Collections.Generic;

namespace Autodiff;

/// <summary>A tensor with its dotted name in a model, e.g. <c>Hidden.Weight</c>.</summary>
public readonly record struct NamedTensor(string Name, Tensor Value);

/// <summary>A structure of named tensors: a <c>[Model]</c> (its parameters) or its generated <c>Gradient</c>.</summary>
public interface ITensorSet
{
    /// <summary>Adds each tensor with its dotted name, prefixed by <paramref name="prefix"/>, in declaration order.</summary>
    void CollectTensors(List<NamedTensor> into, string prefix);
}

/// <summary>Helpers over <see cref="ITensorSet"/>.</summary>
public static class TensorSetExtensions
{
    /// <summary>The named tensors as a new list.</summary>
    public static List<NamedTensor> Tensors(this ITensorSet set)
    {
        var list = new List<NamedTensor>();
        set.CollectTensors(list, string.Empty);
        return list;
    }

    /// <summary>Total number of values.</summary>
    public static long ValueCount(this ITensorSet set)
    {
        long count = 0;
        foreach (NamedTensor tensor in set.Tensors())
        {
            count += tensor.Value.Length;
        }

        return count;
    }

    /// <summary>Copies every value of <paramref name="source"/> into <paramref name="destination"/> (same structure and shapes).</summary>
    public static void CopyTo(this ITensorSet source, ITensorSet destination)
    {
        List<NamedTensor> from = source.Tensors(), to = destination.Tensors();
        if (from.Count != to.Count)
        {
            throw new System.ArgumentException($"Cannot copy {from.Count} tensors into {to.Count}.");
        }

        for (int i = 0; i < from.Count; i++)
        {
            from[i].Value.CopyTo(to[i].Value);
        }
    }

    /// <summary>The name of the first tensor holding a NaN or infinity, or null when all values are finite.</summary>
    public static string? FirstNonFinite(this ITensorSet set) => FirstNonFinite(set.Tensors());

    /// <summary>The same over an already collected list (the trainer checks every batch without collecting again).</summary>
    internal static string? FirstNonFinite(List<NamedTensor> tensors)
    {
        foreach (NamedTensor tensor in tensors)
        {
            if (!Kernels.Elementwise.AllFinite(tensor.Value.Span))
            {
                return tensor.Name;
            }
        }

        return null;
    }
}
