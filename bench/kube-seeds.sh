#!/usr/bin/env bash
# Runs the seed-loop comparison of e2e/kube (TestSeedLoops) on a real
# one-node cluster and prints its table: for each busybox loop that initbox
# replaces (DESIGN.md), the seconds from the moment its dependency is ready
# to the moment its pod is Ready, as the busybox loop and as the initbox
# line, median of 5 (min..max), all pods at once. Needs root; brings the
# cluster up (scripts/kube/up.sh --node) and down again.
set -euo pipefail
cd "$(dirname "$0")/.."

go mod download
trap 'scripts/kube/down.sh' EXIT
scripts/kube/up.sh --node
INITBOX_KUBE_REQUIRED=1 scripts/kube/exec.sh go test -count=1 -timeout 20m -parallel 64 -v -run '^TestSeedLoops$' ./e2e/kube/ |
  grep -E '^seed'
