using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Autodiff.Benchmarks -- --filter '*'   (add --job short for a quick pass)
BenchmarkSwitcher.FromAssembly(typeof(Autodiff.Benchmarks.GradientCostBenchmarks).Assembly).Run(args);
