#!/usr/bin/env bash
# Samples/s of the whole training step (gather, forward, backward, divergence check, Adam) against the thread count
# for three shapes (batch x inputs x hidden: 32x784x256, 256x784x256, 256x784x1024), the time a step spends outside
# parallel jobs and the serial fraction it implies. Median of five rounds per point.
#
#   bench/scaling.sh [MAX_THREADS]            build and run here (needs the .NET SDK)
#   bench/scaling.sh --publish                a self-contained single file in artifacts/scaling/ (about 45 MB)
#   artifacts/scaling/Autodiff.Benchmarks --scaling [MAX_THREADS]
#                                             on a machine without the SDK (copy that file there)
#
# MAX_THREADS defaults to the physical cores. Counts run 1, 2, 4, 8, ... up to it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--publish" ]]; then
  dotnet publish bench/Autodiff.Benchmarks -c Release -r linux-x64 --self-contained \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -o artifacts/scaling
  echo "artifacts/scaling/Autodiff.Benchmarks --scaling [MAX_THREADS]"
  exit 0
fi

if [[ -n "${1:-}" && ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: bench/scaling.sh [MAX_THREADS] | --publish" >&2
  exit 2
fi

dotnet run -c Release --project bench/Autodiff.Benchmarks -- --scaling ${1:+"$1"}
