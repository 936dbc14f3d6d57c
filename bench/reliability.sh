#!/usr/bin/env bash
# Prints the figures of docs/reliability.md's tables, from the same tests
# that scripts/test.sh runs: the fault matrices (each fault a subtest), the
# full-disk tests, SIGTERM at random moments, re-runs with zero writes, and
# every fuzz target for FUZZTIME (default 15s). Run as root: the full-disk
# tests mount a small tmpfs.
#   bench/reliability.sh        FUZZTIME=60s bench/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
log=$out/reliability.txt

INITBOX_REQUIRE_SERVERS=1 go test -count=1 -v \
  -run 'FaultMatrix|DiskFull|Runaway|AtRandomMoments|Signal|RerunsWriteNothing|Secret' ./processtest ./internal/cli >"$log" 2>&1 || {
  cat "$log"; exit 1; }

echo "## Faults, by test (each fault is a subtest; a PASS is the asserted outcome)"
for t in TestWaitAndCheckFaultMatrix TestFetchFaultMatrix TestRenderFaultMatrix; do
  pass=$(grep -c -- "--- PASS: $t/" "$log" || true)
  fail=$(grep -c -- "--- FAIL: $t/" "$log" || true)
  echo "$t: $pass faults passed, $fail failed"
done
grep -E -- '--- (PASS|FAIL): Test[A-Za-z]*(DiskFull|Runaway|Signal|Reruns|Secret)[A-Za-z]* ' "$log"
echo "## Signals and re-runs"
grep -E 'signal trials:|signal exits:|reruns:|strace:' "$log" | sed 's/^ *[a-z_]*\.go:[0-9]*: //'
echo "## Fuzzing"
FUZZTIME=${FUZZTIME:-15s} scripts/fuzz.sh 2>&1 | grep '^fuzz:'
