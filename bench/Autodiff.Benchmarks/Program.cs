using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Autodiff.Benchmarks -- --filter '*'   (add --job short for a quick pass)
// --profile-mlp: a plain loop of MLP steps at 1 and 2 threads, for profilers (not a measurement).
// --profile-generated: the generated step alone at one thread, for perf.
// --host-check: whether the machine's two CPUs are two right now (an FMA loop alone, twice at once, beside a spinning thread).
// --scaling [maxThreads] [shape ...]: the whole training step's samples/s against the thread count, and its serial fraction.
// --profile-parts: the hand-written step's parts timed one by one (mean and minimum µs), with the worker pool's counters.
if (args.Length > 0 && args[0] == "--profile-mlp")
{
    foreach (int threads in new[] { 1, 2, 1, 2 })
    {
        var bench = new Autodiff.Benchmarks.MlpBenchmarks { Threads = threads };
        bench.Setup();
        for (int i = 0; i < 50; i++)
        {
            bench.Generated();
            bench.HandWritten();
        }

        System.Console.WriteLine($"threads={threads} generated={bench.Time(b => b.Generated()):F0} us hand-written={bench.Time(b => b.HandWritten()):F0} us");
        System.Console.WriteLine($"  of which: LossGradient {bench.Time(b => b.LossGradientOnly()):F0} us, Step {bench.Time(b => b.StepOnly()):F0} us");
    }

    return;
}

if (args.Length > 0 && args[0] == "--profile-generated")
{
    // For perf (DOTNET_PerfMapEnabled=1 perf record -g): the generated step alone, one thread, for about 20 seconds.
    var bench = new Autodiff.Benchmarks.MlpBenchmarks { Threads = 1 };
    bench.Setup();
    for (int i = 0; i < 60_000; i++)
    {
        bench.Generated();
    }

    return;
}

if (args.Length > 0 && args[0] == "--host-check")
{
    Autodiff.Benchmarks.HostCheck.Run();
    return;
}

if (args.Length > 0 && args[0] == "--profile-parts")
{
    foreach (int threads in new[] { 1, 2, 1, 2 })
    {
        Autodiff.Benchmarks.PartsProfile.Run(threads);
    }

    return;
}

if (args.Length > 0 && args[0] == "--scaling")
{
    // --scaling [maxThreads] [shape ...]: samples/s of the whole training step against threads 1..max (bench/scaling.sh).
    int most = args.Length > 1 ? int.Parse(args[1]) : Autodiff.Tensor.PhysicalCores;
    string[] shapes = args.Length > 2 ? args[2..] : new[] { "32x784x256", "256x784x256", "256x784x1024" };
    Autodiff.Benchmarks.Scaling.Run(most, shapes);
    return;
}

if (args.Length > 0 && args[0] == "--check-plain")
{
    // The hand-written gradients of the plain suite against the generated ones (what PlainBenchmarks checks first).
    new Autodiff.Benchmarks.Plain.PlainData().Check();
    Console.WriteLine("All ten hand-written gradients (and the recursive continued fraction) agree with the generated ones (relative 1e-9).");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Autodiff.Benchmarks.GradientCostBenchmarks).Assembly).Run(args);
