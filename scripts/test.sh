#!/usr/bin/env bash
# Runs every test of initbox: installs what the tests need (as root, from
# Debian's packages), then go vet, staticcheck, the race-enabled test suite
# (fault matrices, signal and re-run property tests included), fuzzing, the
# Kubernetes examples' check (its own module), and the e2e tests on a real
# Docker engine. The e2e tests build everything they use themselves.
#
# Every stage runs even when an earlier one failed (a failure in one must not
# hide the others); the failed stages are listed at the end, and the script
# exits non-zero if there was any.
#
# The fast loop for contributors is `go test -short ./...` (no servers, no
# process-level suites); this script is the full suite that CI runs.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
# stage NAME COMMAND...: runs one stage, timing it, and records a failure.
stage() {
  local name=$1 start=$SECONDS status=0
  shift
  echo "=== stage $name" >&2
  "$@" || status=$?
  if ((status != 0)); then
    failed+=("$name")
    echo "=== stage $name FAILED (exit $status, $((SECONDS - start)) s)" >&2
  else
    echo "=== stage $name ok ($((SECONDS - start)) s)" >&2
  fi
}

vet_all_arches() {
  go vet ./... || return
  # The image is multi-arch: keep every architecture building.
  local arch
  for arch in arm64 arm 386 riscv64; do GOARCH=$arch go vet ./... || return; done
}

# The protocol tests skip loudly when a server is missing; here, where
# deps.sh has installed them all, a missing server is a failure.
unit_tests() {
  # TestK8s* need the cluster of their own stage, k8s-targets.
  INITBOX_REQUIRE_SERVERS=1 go test -race -count=1 -skip '^TestK8s' $(go list ./... | grep -v /e2e)
}

# The release binary's text/template calls only the methods that
# scripts/template-overlay.sh names: the help and render tests again with it.
template_overlay_tests() {
  local overlay
  overlay=$(scripts/template-overlay.sh) &&
    go test -overlay "$overlay" -count=1 ./render ./internal/cli
}

k8s_examples() {
  (cd examples/kubernetes/validate && go vet ./... && go test -count=1 ./...)
}

# Conformance: initbox's HTTP check next to the kubelet's own prober
# (k8s.io/kubernetes, its own test-only module), and its DNS check next to
# glibc's getaddrinfo in a network namespace (needs root; a failure under
# CI=true when it cannot run).
conformance() {
  (cd internal/conformance && go vet ./... && go test -count=1 ./...)
}

# k8s:// targets against a real control plane (etcd, kube-apiserver with
# RBAC, kube-controller-manager) that scripts/kube/up.sh starts in its own
# network namespace. The test binary is built here and run inside that
# namespace; INITBOX_REQUIRE_KUBE makes a missing cluster a failure.
k8s_targets() {
  local dir status=0
  dir=$(mktemp -d)
  # The cluster's name is the machine's: wait for another run using it
  # (scripts/kube/test.sh takes the same lock).
  mkdir -p /run/lock
  exec 8>>"/run/lock/${INITBOX_KUBE_NETNS:-initbox-kube}.lock"
  flock -w 3600 8 || { echo "k8s-targets: another run holds the cluster" >&2; return 1; }
  go test -c -o "$dir/checks.test" ./checks &&
    scripts/kube/up.sh &&
    INITBOX_REQUIRE_KUBE=1 scripts/kube/exec.sh "$dir/checks.test" -test.run '^TestK8s' \
      -test.count=1 -test.v -test.timeout 20m >"$dir/log" 2>&1 || status=$?
  if ((status != 0)); then
    cat "$dir/log" 2>/dev/null
  else
    grep -E -- '^ *--- (PASS|SKIP|FAIL)|^(ok|PASS|FAIL)' "$dir/log"
  fi
  scripts/kube/down.sh || status=1
  exec 8>&-
  rm -rf "$dir"
  return "$status"
}

# The e2e tests run apart and verbose, so that a skip is seen, not hidden
# behind an "ok".
e2e_tests() {
  if ! docker info >/dev/null 2>&1; then
    echo "==============================================================================" >&2
    echo "E2E TESTS SKIPPED: no Docker engine answers (docker info fails)" >&2
    echo "==============================================================================" >&2
  fi
  local log status=0
  log=$(mktemp)
  go test -race -count=1 -v ./e2e/ >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    cat "$log"
  else
    grep -E -- '^={10,}|^E2E|^ *--- (PASS|SKIP)|SKIPPED|^ok' "$log"
  fi
  rm -f "$log"
  return "$status"
}

# Without the servers nothing else can pass: stop here if deps fail.
scripts/deps.sh || { echo "=== deps failed: nothing else can run" >&2; exit 1; }
stage vet vet_all_arches
stage staticcheck go tool staticcheck ./...
stage unit unit_tests
# Every fuzz target for a bounded time, from its seed corpus in testdata/fuzz.
stage fuzz env FUZZTIME="${FUZZTIME:-15s}" scripts/fuzz.sh
stage template-overlay template_overlay_tests
stage k8s-examples k8s_examples
stage conformance conformance
stage k8s-targets k8s_targets
stage e2e e2e_tests
# GoReleaser's snapshot of every release binary, its checksums verified.
stage release scripts/release-check.sh
# One real Kubernetes cluster (etcd, control plane, containerd, kubelet,
# kube-proxy, CoreDNS) inside a network namespace of its own, built from the
# Go module proxy and cached (/var/cache/initbox/kube; cold ~6-12 min), up
# once for every test that needs it and torn down on every exit path.
stage kube scripts/kube/test.sh

if ((${#failed[@]} > 0)); then
  echo "FAILED stages: ${failed[*]}" >&2
  exit 1
fi
echo "all stages passed" >&2
