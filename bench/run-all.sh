#!/usr/bin/env bash
# Every benchmark in one go (BenchmarkDotNet short jobs): the main suite, then the TorchSharp comparison.
# Results land in BenchmarkDotNet.Artifacts/results; bench/README.md has the tables from the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project bench/Autodiff.Benchmarks -- --filter '*' --job short --iterationCount 8
bash bench/run-torch.sh
bash bench/generator-cost.sh
