using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace TorchComparison;

/// <summary>
/// BenchmarkDotNet's short job, run in this process: a separate build (the default toolchain) would copy a fresh,
/// unpatched TorchSharp native library and fail to load it.
/// </summary>
public sealed class InProcessShortConfig : ManualConfig
{
    public InProcessShortConfig()
        => AddJob(Job.ShortRun.WithIterationCount(15).WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
}
