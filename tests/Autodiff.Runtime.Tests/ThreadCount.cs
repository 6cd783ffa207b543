using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// The classes that set the global <see cref="Tensor.Threads"/> and those that count a training step's allocations
/// run one after another, not in parallel: a step whose thread count another test switches to 2 in the middle of its
/// measured loop goes through the worker pool, which may allocate as it starts. An allocation test failed once in
/// four runs of the whole suite and passed alone, most likely that way.
/// </summary>
[CollectionDefinition(Collection)]
public sealed class ThreadCount
{
    public const string Collection = "Tensor.Threads";
}
