using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Autodiff.Benchmarks -- --filter '*'   (add --job short for a quick pass)
// --profile-mlp: a plain loop of MLP steps at 1 and 2 threads, for profilers (not a measurement).
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

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 500; i++)
        {
            bench.Generated();
        }

        double generated = clock.Elapsed.TotalMicroseconds / 500;
        clock.Restart();
        for (int i = 0; i < 500; i++)
        {
            bench.HandWritten();
        }

        System.Console.WriteLine($"threads={threads} generated={generated:F0} us hand-written={clock.Elapsed.TotalMicroseconds / 500:F0} us");
    }

    var x = new Autodiff.Tensor(128, 784);
    var w = new Autodiff.Tensor(784, 128);
    var y = new Autodiff.Tensor(128, 128);
    var big = new float[100_000];
    foreach (int threads in new[] { 1, 2, 1, 2 })
    {
        Autodiff.Tensor.Threads = threads;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            Autodiff.Tensor.MatMul(x, w, y);
        }

        double alone = clock.Elapsed.TotalMicroseconds / 1000;
        clock.Restart();
        for (int i = 0; i < 1000; i++)
        {
            Autodiff.Tensor.MatMul(x, w, y);
            System.Numerics.Tensors.TensorPrimitives.Multiply(big, 0.999f, big);
        }

        System.Console.WriteLine($"threads={threads} matmul alone={alone:F0} us, with 100k-element scale between={clock.Elapsed.TotalMicroseconds / 1000:F0} us");
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Autodiff.Benchmarks.GradientCostBenchmarks).Assembly).Run(args);
