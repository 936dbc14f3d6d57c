#!/usr/bin/env bash
# Runs the tests that need a real Kubernetes (issues 12 and 13): brings the
# cluster up once (up.sh --node: builds or reuses the cached binaries), runs
# every such test inside the cluster's network namespace, and tears the
# cluster down on every exit path, failing if anything is left behind.
# Called by scripts/test.sh; needs root.
#
# INITBOX_KUBE_LOGS=DIR keeps the components' logs (down.sh copies them).
set -euo pipefail
cd "$(dirname "$0")/../.."

# One cluster of a name at a time on a machine: another run of the tests
# (another checkout, k8s_targets of scripts/test.sh) waits for this one.
mkdir -p /run/lock
exec 8>>"/run/lock/${INITBOX_KUBE_NETNS:-initbox-kube}.lock"
flock -w 3600 8 || { echo "kube: another test run holds the cluster" >&2; exit 1; }

t0=$(date +%s)
# The servers some scenarios run on the node address (PostgreSQL, Redis).
scripts/deps.sh
# Inside the namespace there is no network: every module the tests compile
# must be downloaded first.
go mod download
log=$(mktemp)
down() {
  local rc=$? t
  t=$(date +%s)
  scripts/kube/down.sh || rc=1
  echo "kube: teardown took $(($(date +%s) - t)) s" >&2
  rm -f "$log"
  exit $rc
}
trap down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
scripts/kube/up.sh --node
echo "kube: cluster up $(($(date +%s) - t0)) s after the start" >&2

# Here a missing cluster is a failure, never a skip (the main test run of
# scripts/test.sh has no cluster: tests that need one skip there unless
# INITBOX_KUBE_REQUIRED is set).
export INITBOX_REQUIRE_SERVERS=1 INITBOX_KUBE_REQUIRED=1

# The e2e suite of issue 13: every example in examples/kubernetes/ as real
# pods, and the seed loops' report. Verbose, so that a skip shows. The tests
# mostly wait for the cluster: all of them run at once (-parallel).
if ! scripts/kube/exec.sh go test -count=1 -timeout 45m -parallel 64 -v ./e2e/kube/ >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -E -- '^={10,}|^KUBERNETES|^e2e/kube|^ *--- (PASS|SKIP)|SKIPPED|^seed|^ok' "$log"
