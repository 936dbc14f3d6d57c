#!/usr/bin/env bash
# Builds CoreDNS from its Go module (the module proxy only) with just the
# plugins the cluster's DNS uses, into a cache keyed on the CoreDNS and Go
# versions, and prints the binary's path on stdout:
#
#   ${INITBOX_KUBE_CACHE:-/var/cache/initbox/kube}/coredns-v1.15.0-go1.26.8-PLUGINS/coredns
#
# The plugins: kubernetes (Service and pod records from the API server),
# cache (as in a real cluster: NXDOMAIN is cached for the SOA's 5 s),
# template (NXDOMAIN for names outside the cluster, as an upstream would
# answer: the cluster has none, so no forward), bind, errors, log, health
# and ready. PLUGINS (a hash of their list) is part of the cache key.
set -euo pipefail

CV=${INITBOX_COREDNS_VERSION:-v1.15.0}
GOV=$(go env GOVERSION)
CACHE=${INITBOX_KUBE_CACHE:-/var/cache/initbox/kube}
PLUGINS=(bind ready health errors log cache template kubernetes) # in plugin.cfg's order
ENTRY=$CACHE/coredns-$CV-$GOV-$(echo "${PLUGINS[*]}" | sha256sum | cut -c1-8)

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-coredns"
flock 9
if [ -x "$ENTRY/coredns" ]; then
  echo "$ENTRY/coredns"
  exit 0
fi

t0=$(date +%s)
mkdir -p "$ENTRY/module"
cd "$ENTRY/module"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" CGO_ENABLED=0
gomajor=$(echo "$GOV" | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
printf 'module initbox-coredns-build\n\ngo %s.0\n\nrequire github.com/coredns/coredns %s\n' "$gomajor" "$CV" >go.mod
{
  echo "// Command coredns is CoreDNS with only the plugins the test cluster uses."
  echo "package main"
  echo
  echo "import ("
  echo '	"github.com/coredns/coredns/core/dnsserver"'
  echo '	"github.com/coredns/coredns/coremain"'
  for p in "${PLUGINS[@]}"; do printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "$p"; done
  echo ")"
  echo
  printf 'func init() { dnsserver.Directives = []string{'
  for p in "${PLUGINS[@]}"; do printf '"%s", ' "$p"; done
  printf '} }\n\nfunc main() { coremain.Run() }\n'
} >main.go
gofmt -w main.go
go mod tidy >&2
go build -trimpath -ldflags="-s -w" -o coredns.tmp . >&2
./coredns.tmp -plugins >&2
mv coredns.tmp "$ENTRY/coredns"
echo "build-coredns.sh: built CoreDNS $CV in $(( $(date +%s) - t0 )) s" >&2
echo "$ENTRY/coredns"
