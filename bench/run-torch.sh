#!/usr/bin/env bash
# Autodiff against TorchSharp-cpu 0.107 (bench/Autodiff.Benchmarks.Torch), in one BenchmarkDotNet run.
# Extra arguments go to BenchmarkDotNet, e.g.  bench/run-torch.sh --filter '*Mlp*'
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/Autodiff.Benchmarks.Torch -v quiet -nologo
out=bench/Autodiff.Benchmarks.Torch/bin/Release/net10.0
# TorchSharp's native library asks for GLIBCXX_3.4.32, which Debian 12 lacks; the one symbol behind it is
# never called. Mark that requirement weak in the build output's copy (not the NuGet cache). Idempotent.
python3 bench/tools/weaken-glibcxx.py "$out/runtimes/linux-x64/native/libLibTorchSharp.so"
if [ $# -gt 0 ]; then
  dotnet "$out/Autodiff.Benchmarks.Torch.dll" "$@"
  exit
fi
# Three processes: the scalar functions (both sides), then each side of the MLP step alone, so that libtorch's
# spinning OpenMP workers never share the two cores with Autodiff's two-thread runs (nor Autodiff's pool with
# TorchSharp's). The MLP ratio is TorchSharp's mean over Autodiff's, from the two tables.
dotnet "$out/Autodiff.Benchmarks.Torch.dll" --filter '*ScalarVsTorch*'
dotnet "$out/Autodiff.Benchmarks.Torch.dll" --filter '*MlpVsTorch.Autodiff*'
dotnet "$out/Autodiff.Benchmarks.Torch.dll" --filter '*MlpVsTorch.TorchSharp*'
