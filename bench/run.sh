#!/usr/bin/env bash
# Measures initbox's wait/check figures side by side, in one run, with the
# shell loops it replaces. Prints the raw lines and a markdown table.
#   bench/run.sh [-n TRIALS]
# Needs: dnsmasq, netcat-openbsd, busybox-static, curl, hyperfine (optional)
# — scripts/deps.sh installs them. The DNS sandbox rows need root.
set -euo pipefail
cd "$(dirname "$0")/.."
n=20
[ "${1:-}" = "-n" ] && n=$2

scripts/deps.sh
out=bench/out
mkdir -p "$out"
bin=$out/initbox
scripts/build.sh "$bin" bench
go build -o "$out/harness" ./bench/harness
tools=../shared/tools
bin=$(realpath "$bin")
log=$out/wait.txt
: >"$log"
row() { echo "$*" | tee -a "$log"; }

echo "## TCP: a port that opens 1-3 s after the waiter starts" | tee -a "$log"
row "$(python3 $tools/detect_latency.py -n "$n" -- "$bin" wait 'tcp://127.0.0.1:{port}')"
row "$(python3 $tools/detect_latency.py -n "$n" -- sh -c 'until nc -z 127.0.0.1 {port}; do sleep 2; done')"
row "$("$out/harness" tcp -n "$n" -- "$bin" wait '{addr}')"
row "$("$out/harness" tcp -n "$n" -- sh -c 'until nc -z ${0%:*} ${0#*:}; do sleep 2; done' '{addr}')"

echo "## HTTP: a server that starts 1-3 s after the waiter" | tee -a "$log"
row "$("$out/harness" http -n "$n" -- "$bin" wait '{url}')"
row "$("$out/harness" http -n "$n" -- busybox sh -c 'until busybox wget -q -O /dev/null "$0"; do busybox sleep 2; done' '{url}')"
row "$("$out/harness" http -n "$n" -- sh -c 'until curl -sf -o /dev/null "$0"; do sleep 2; done' '{url}')"

echo "## DNS: a name that appears in dnsmasq 1-3 s after the waiter starts" | tee -a "$log"
row "$(python3 $tools/dns_latency.py -n "$n" -- "$bin" wait --dns-server '127.0.0.1:{port}' 'dns://{name}')"
if [ "$(id -u)" -eq 0 ]; then
  row "$(python3 $tools/dns_latency.py --sandbox -n "$n" -- "$bin" wait 'dns://{name}')"
  row "$(python3 $tools/dns_latency.py --sandbox -n "$n" -- busybox sh -c 'until busybox nslookup {name}.default.svc.cluster.local >/dev/null 2>&1; do busybox sleep 2; done')"
fi

echo "## 1,000 TCP targets in one wait, all opening at once" | tee -a "$log"
row "$("$out/harness" many -n 3 -targets 1000 -- "$bin" wait -q)"

echo "## Start-up and size" | tee -a "$log"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 20 -r 300 --export-json "$out/startup.json" "$bin version" "busybox true" >/dev/null 2>&1
  python3 - "$out/startup.json" <<'PY' | tee -a "$log"
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"startup {r['command']}: mean {r['mean']*1000:.2f} ms, median {r['median']*1000:.2f} ms")
PY
fi
row "binary bytes: $(stat -c %s "$bin") ($(awk "BEGIN{printf \"%.2f\", $(stat -c %s "$bin")/1048576}") MiB, static: $(file -b "$bin" | grep -o 'statically linked'))"
echo
echo "raw results: $log"
