using BenchmarkDotNet.Running;

// bench/run-torch.sh builds this project, patches TorchSharp's native library and runs it.
BenchmarkSwitcher.FromAssembly(typeof(TorchComparison.ScalarVsTorch).Assembly).Run(args);
