#!/usr/bin/env bash
# Runs every test of initbox: installs what the tests need (as root, from
# Debian's packages), then go vet, staticcheck, the race-enabled test suite
# (fault matrices, signal and re-run property tests included), fuzzing, the
# Kubernetes examples' check (its own module), and the e2e tests on a real
# Docker engine. The e2e tests build everything they use themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
go vet ./...
go tool staticcheck ./...
# The image is multi-arch: keep every architecture building.
for arch in arm64 arm 386 riscv64; do GOARCH=$arch go vet ./...; done
# The protocol tests skip loudly when a server is missing; here, where
# deps.sh has installed them all, a missing server is a failure.
INITBOX_REQUIRE_SERVERS=1 go test -race -count=1 $(go list ./... | grep -v /e2e)

# Every fuzz target for a bounded time, from its seed corpus in testdata/fuzz.
FUZZTIME=${FUZZTIME:-15s} scripts/fuzz.sh

(cd examples/kubernetes/validate && go vet ./... && go test -count=1 ./...)

# ---- k8s:// targets against a real control plane (etcd, kube-apiserver with
# RBAC, kube-controller-manager) that scripts/kube/up.sh starts in its own
# network namespace. The test binary is built here and run inside that
# namespace; INITBOX_REQUIRE_KUBE makes a missing cluster a failure.
k8stest=$(mktemp -d)
go test -c -o "$k8stest/checks.test" ./checks
scripts/kube/up.sh
if ! INITBOX_REQUIRE_KUBE=1 scripts/kube/exec.sh "$k8stest/checks.test" -test.run '^TestK8s' -test.count=1 -test.v -test.timeout 20m >"$k8stest/log" 2>&1; then
  cat "$k8stest/log"
  scripts/kube/down.sh
  exit 1
fi
grep -E -- '^ *--- (PASS|SKIP|FAIL)|^(ok|PASS|FAIL)' "$k8stest/log"
scripts/kube/down.sh
rm -rf "$k8stest"
# ---- end of k8s:// targets

# The e2e tests run apart and verbose, so that a skip is seen, not hidden
# behind an "ok".
if ! docker info >/dev/null 2>&1; then
  echo "==============================================================================" >&2
  echo "E2E TESTS SKIPPED: no Docker engine answers (docker info fails)" >&2
  echo "==============================================================================" >&2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! go test -race -count=1 -v ./e2e/ >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -E -- '^={10,}|^E2E|^ *--- (PASS|SKIP)|SKIPPED|^ok' "$log"
