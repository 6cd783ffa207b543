using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// The classes that set the global <see cref="Tensor.Threads"/> and those that count a training step's allocations
/// run one after another, not in parallel: a step whose thread count another test switches to 2 in the middle of its
/// measured loop goes through the worker pool, which allocates as it starts a worker. (The pool itself starts its
/// workers on the first call with a thread count, even one that runs inline; see WorkerPoolTests.) Nor do they run
/// beside any other class: a test elsewhere whose products keep the pool busy makes a kernel here run inline (the pool
/// runs a job posted while it is busy on the caller), which a test that checks its ops reach the pool reads as a
/// failure (ParallelKernelTests failed so, now and then, with AVX2 off and on a cold first run).
/// </summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class ThreadCount
{
    public const string Collection = "Tensor.Threads";
}
