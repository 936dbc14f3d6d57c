#!/usr/bin/env bash
# Runs a command inside the cluster's network namespace with the variables of
# $STATE/env (see up.sh) added to its environment; its exit status is the
# command's. Only the network namespace changes: files, mounts and the
# caller's other variables stay. Example:
#
#   scripts/kube/exec.sh go test -count=1 ./checks -run K8s
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: exec.sh COMMAND [ARG...]"
[ -f "$STATE/env" ] || die "no cluster is up ($STATE/env missing): run scripts/kube/up.sh"
mapfile -t vars <"$STATE/env"
exec nsenter --net="$NSPATH" -- env "${vars[@]}" "$@"
