#!/usr/bin/env bash
# Measures k8s:// targets against the real control plane of scripts/kube/up.sh
# (kube-apiserver, etcd, kube-controller-manager in their own network
# namespace; needs root):
#   - detection latency after a pod's /status PATCH (p50/p90), per process;
#   - API requests per waiting target per minute in steady state, counted
#     by the API server itself (apiserver_request_total in /metrics);
#   - 200 concurrent `initbox wait` processes: all see the change; RSS each;
#   - binary size before (main) and after.
#   bench/k8s.sh [-n RUNS] [-window 6m] [-many 200]
set -euo pipefail
cd "$(dirname "$0")/.."
n=30 window=6m many=200
while [ $# -gt 0 ]; do
  case $1 in
  -n) n=$2; shift 2 ;;
  -window) window=$2; shift 2 ;;
  -many) many=$2; shift 2 ;;
  *) echo "usage: bench/k8s.sh [-n RUNS] [-window 6m] [-many 200]" >&2; exit 2 ;;
  esac
done
out=bench/out
mkdir -p "$out"
scripts/build.sh "$out/initbox" bench
go build -o "$out/k8s-bench" ./bench/k8s
scripts/kube/up.sh >&2
bin=$(realpath "$out/initbox")
run() { scripts/kube/exec.sh "$out/k8s-bench" "$@"; }
run latency -n "$n" "$bin"
run many -n "$many" "$bin"
run requests -n 20 -window "$window" "$bin"
echo "binary: $(stat -c %s "$bin") bytes with k8s:// targets"
if git rev-parse -q --verify main >/dev/null; then
  tmp=$(mktemp -d)
  mkdir "$tmp/src"
  git archive main | tar -x -C "$tmp/src"
  (cd "$tmp/src" && scripts/build.sh "$tmp/initbox" bench >/dev/null)
  echo "binary: $(stat -c %s "$tmp/initbox") bytes on main"
  rm -rf "$tmp"
fi
