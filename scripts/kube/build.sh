#!/usr/bin/env bash
# Builds the Kubernetes binaries the cluster tests run (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kubectl, kube-proxy, and
# etcd and etcdctl at the version Kubernetes requires) from the Go module
# proxy (CoreDNS: build-coredns.sh), into a cache keyed on
# the Kubernetes and Go versions:
#
#   ${INITBOX_KUBE_CACHE:-/var/cache/initbox/kube}/v1.37.2-go1.26.8/bin/
#
# and prints that bin directory on stdout (everything else goes to stderr).
# Each binary is built into a temporary directory and renamed into place, so
# an interrupted build is redone, never half-used; only missing binaries are
# built. Concurrent runs wait for each other (flock).
#
# The build module requires k8s.io/kubernetes with a replace line for each of
# its staging modules (the "=> ./staging/..." lines of its own go.mod, pointed
# at their published v0.X.Y twins) and a tools.go importing the commands.
# Cold: 6-12 min of CPU and ~2.7 GB peak RSS (the linker); ~1 GB of modules.
set -euo pipefail

KV=${INITBOX_KUBE_VERSION:-v1.37.2}
GOV=$(go env GOVERSION)
CACHE=${INITBOX_KUBE_CACHE:-/var/cache/initbox/kube}
ENTRY=$CACHE/$KV-$GOV
BIN=$ENTRY/bin
CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl kube-proxy)

missing() {
  local c
  for c in "${CMDS[@]}" etcd etcdctl; do [ -x "$BIN/$c" ] || echo "$c"; done
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
todo=$(missing | tr "\n" " ") # one line: the tests below match " name"
if [ -z "$todo" ]; then
  echo "$BIN"
  exit 0
fi

t0=$(date +%s)
MOD=$ENTRY/module
mkdir -p "$MOD"
cd "$MOD"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" CGO_ENABLED=0

# The staging modules' published versions are v0.<minor>.<patch>.
SV=v0.${KV#v1.}
KDIR=$(go mod download -json "k8s.io/kubernetes@$KV" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -n "$KDIR" ] || { echo "build.sh: cannot download k8s.io/kubernetes@$KV" >&2; exit 1; }
mods=$(sed -n '/^replace (/,/^)/p' "$KDIR/go.mod" | awk '/=> .\/staging/ {print $1}')
[ -n "$mods" ] || { echo "build.sh: no staging modules in $KDIR/go.mod" >&2; exit 1; }
gomajor=$(echo "$GOV" | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
{
  echo "module initbox-kube-build"
  echo
  echo "go $gomajor.0"
  echo
  echo "require k8s.io/kubernetes $KV"
  echo
  echo "replace ("
  for m in $mods; do printf '\t%s => %s %s\n' "$m" "$m" "$SV"; done
  echo ")"
} >go.mod
{
  echo "//go:build tools"
  echo
  echo "package tools"
  echo
  echo "import ("
  for c in "${CMDS[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done
  echo ")"
} >tools.go
go mod tidy >&2
echo "build.sh: module ready ($(grep -c '=>' go.mod) staging replaces) after $(( $(date +%s) - t0 )) s" >&2

# Without these every binary reports v0.0.0-master.
minor=$(echo "$KV" | cut -d. -f2)
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $p.gitVersion=$KV -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ld="$ld -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
done
tmp=$ENTRY/bin.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
pkgs=()
for c in $todo; do
  case $c in etcd*) ;; *) pkgs+=("k8s.io/kubernetes/cmd/$c") ;; esac
done
# One go build for all of them shares the compilation of common packages.
[ ${#pkgs[@]} -eq 0 ] || go build -trimpath -ldflags="$ld" -o "$tmp/" "${pkgs[@]}" >&2

# etcd at the version Kubernetes itself requires: the API server's watch
# cache needs its progress notifications (Debian's 3.4 has none, and then
# every watch or list without a resourceVersion waits until it times out).
# Its main packages are built from a module of their own, which requires
# them: "go install etcd@version" refuses their replace directives.
EV=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2}' "$KDIR/go.mod")
if [[ " $todo " == *" etcd"* ]]; then
  mkdir -p "$ENTRY/etcd-module"
  (
    cd "$ENTRY/etcd-module"
    printf 'module initbox-etcd-build\n\ngo %s.0\n' "$gomajor" >go.mod
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/server/v3"\n\t_ "go.etcd.io/etcd/etcdctl/v3"\n)\n' >tools.go
    go mod edit -require="go.etcd.io/etcd/server/v3@$EV" -require="go.etcd.io/etcd/etcdctl/v3@$EV"
    go mod tidy >&2
    go build -trimpath -ldflags="-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3 >&2
    go build -trimpath -ldflags="-s -w" -o "$tmp/etcdctl" go.etcd.io/etcd/etcdctl/v3 >&2
  )
fi
mkdir -p "$BIN"
for c in $todo; do
  case $c in
  kubectl) "$tmp/$c" version --client >&2 ;;
  etcdctl) "$tmp/$c" version >&2 ;;
  *) "$tmp/$c" --version >&2 ;;
  esac
  mv "$tmp/$c" "$BIN/$c"
done
rm -rf "$tmp"
echo "build.sh: built" $todo "in $(($(date +%s) - t0)) s" >&2
echo "$BIN"
