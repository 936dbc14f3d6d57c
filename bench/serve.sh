#!/usr/bin/env bash
# Measures initbox serve: CPU and memory with 100 targets at a 5 s interval
# (HTTP and TCP targets, on loopback), and /readyz latency at 1,000
# requests a second. Prints one line per measurement.
#   bench/serve.sh [IDLE_SECONDS] [LOAD_SECONDS]     (default 60 30)
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-60}
load=${2:-30}
out=bench/out
mkdir -p "$out"
scripts/build.sh "$out/initbox" bench
go build -o "$out/servebench" ./bench/servebench
for kind in http tcp; do
  "$out/servebench" -kind "$kind" -targets 100 -interval 5s -idle "${idle}s" -rate 1000 -load "${load}s" -- "$out/initbox" |
    tee -a "$out/serve.txt"
done
