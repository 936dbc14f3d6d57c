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

t0=$(date +%s)
# Inside the namespace there is no network: everything the tests compile
# must be downloaded first.
go mod download
down() {
  local rc=$?
  t=$(date +%s)
  scripts/kube/down.sh || rc=1
  echo "kube: teardown took $(($(date +%s) - t)) s" >&2
  exit $rc
}
trap down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
scripts/kube/up.sh --node
echo "kube: cluster up after $(($(date +%s) - t0)) s" >&2

export INITBOX_REQUIRE_SERVERS=1
# The e2e suite of issue 13: every example in examples/kubernetes/ as real
# pods. Verbose, so that a skip shows.
scripts/kube/exec.sh go test -count=1 -timeout 40m -v ./e2e/kube/ 2>&1 |
  grep -E -- '^={10,}|^(---|===|ok|FAIL|PASS)|^ +--- |SKIP|seed|^\s+\S+_test\.go' || true
test "${PIPESTATUS[0]}" -eq 0
