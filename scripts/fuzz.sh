#!/usr/bin/env bash
# Runs every fuzz target of the repository (each func FuzzXxx(*testing.F) in
# a _test.go file) for FUZZTIME each, one after the other, and prints one
# line per target:
#   fuzz: FuzzParse checks 15s 123456 execs
# (name, package directory, time run, executions, as go test reports them).
# Exits non-zero if any target fails; the failing input is then in the
# package's testdata/fuzz/NAME/, where go test puts it, and the output of
# the failing run is printed, indented. A failure that wrote no input and
# says "context deadline exceeded" is go test's own end-of-fuzztime flake
# under load, not a crasher: it is retried once.
#
#   FUZZTIME=15s scripts/fuzz.sh             (default 15s)
#   FUZZMINIMIZETIME=5s                      (default 5s: time spent making each new
#                                             input smaller; go's own default of 60s
#                                             can eat a short run whole)
#
# The targets are found by grep rather than go test -list, which would run
# every package's TestMain (processtest's builds a binary).
# Temporary directories go to /dev/shm when TMPDIR is not set: FuzzExtract
# syncs every file it unpacks, and on tmpfs a sync costs nothing, which
# makes it run some five times as many inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-15s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm
fi

targets=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . |
  sed -E 's|^\./||; s|:func (Fuzz[A-Za-z0-9_]*)\($| \1|' |
  awk '{ dir = $1; sub(/\/?[^\/]*$/, "", dir); if (dir == "") dir = "."; print dir, $2 }' |
  sort -u)
if [[ -z $targets ]]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# corpus PKG NAME: the inputs go test has saved for a target, one per line.
corpus() { ls "$1/testdata/fuzz/$2" 2>/dev/null || true; }

# fuzz_once PKG NAME: one fuzzing run, its output in $log.
fuzz_once() {
  go test -run '^$' -fuzz "^${2}\$" -fuzztime "$FUZZTIME" \
    -fuzzminimizetime "$FUZZMINIMIZETIME" "./$1" >"$log" 2>&1
}

# A known failure of go test -fuzz under load: at the end of -fuzztime a
# worker misses the deadline and the run fails with "context deadline
# exceeded", writing no input. A real crasher always writes one under
# testdata/fuzz. Only the first kind is retried, once.
deadline_flake() {
  [[ $(corpus "$1" "$2") == "$3" ]] &&
    ! grep -q 'Failing input written to' "$log" &&
    grep -q 'context deadline exceeded' "$log"
}

failed=()
while read -r pkg name; do
  status=0
  before=$(corpus "$pkg" "$name")
  fuzz_once "$pkg" "$name" || status=$?
  if ((status != 0)) && deadline_flake "$pkg" "$name" "$before"; then
    echo "fuzz: $name $pkg: context deadline exceeded with no crasher written; retrying once" >&2
    status=0
    fuzz_once "$pkg" "$name" || status=$?
  fi
  # The last progress line: "fuzz: elapsed: 15s, execs: 123456 (8230/sec), ..."
  last=$(grep -E '^fuzz: elapsed: [^,]+, execs: [0-9]+' "$log" | tail -n 1 || true)
  elapsed=$(sed -E 's/^fuzz: elapsed: ([^,]+),.*/\1/' <<<"$last")
  execs=$(sed -E 's/.*, execs: ([0-9]+) .*/\1/' <<<"$last")
  line="fuzz: $name $pkg ${elapsed:-?} ${execs:-?} execs"
  if ((status != 0)); then
    echo "$line FAILED"
    sed 's/^/    /' "$log"
    failed+=("$name")
  else
    echo "$line"
  fi
done <<<"$targets"

if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
