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
if [ $# -eq 0 ]; then set -- --filter '*'; fi
dotnet "$out/Autodiff.Benchmarks.Torch.dll" "$@"
