#!/usr/bin/env bash
# Builds an image FROM scratch out of a directory and imports it into the
# cluster's containerd (namespace k8s.io, where the kubelet's CRI finds it),
# so that pods can run it with imagePullPolicy Never or IfNotPresent and no
# registry is involved.
#
#   image.sh [-u UID[:GID]] NAME:TAG ROOTFS [ENTRYPOINT [ARG...]]
#
# NAME is a full reference (docker.io/initbox-kube/busybox:1). The layer is a
# tar of ROOTFS owned by root, with fixed times: the same files make the same
# image ID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

user=""
if [ "${1:-}" = -u ]; then
  user=$2
  shift 2
fi
[ $# -ge 2 ] || die "usage: image.sh [-u UID[:GID]] NAME:TAG ROOTFS [ENTRYPOINT [ARG...]]"
ref=$1 rootfs=$2
shift 2
SOCK=$STATE/containerd/containerd.sock
[ -S "$SOCK" ] || die "no containerd at $SOCK (run scripts/kube/up.sh --node)"
[ -d "$rootfs" ] || die "$rootfs: not a directory"

# json_strings A B... prints ["A","B"] (the arguments must not hold " or \).
json_strings() {
  local out="" a
  for a in "$@"; do
    case $a in *'"'* | *'\'*) die "image.sh: cannot quote $a" ;; esac
    out="$out${out:+,}\"$a\""
  done
  echo "[$out]"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" .
diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/$diff"
mv "$work/layer.tar" "$work/$diff/layer.tar"
entry=null
[ $# -eq 0 ] || entry=$(json_strings "$@")
cat >"$work/config.json" <<J
{"architecture":"$(go env GOARCH)","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Entrypoint":$entry,"User":"$user","Env":["PATH=/bin:/usr/bin"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff"]}}
J
cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/$cfg.json"
echo "[{\"Config\":\"$cfg.json\",\"RepoTags\":[\"$ref\"],\"Layers\":[\"$diff/layer.tar\"]}]" >"$work/manifest.json"
tar -C "$work" -cf "$work/image.tar" manifest.json "$cfg.json" "$diff"
if ! out=$(ctr -a "$SOCK" -n k8s.io images import "$work/image.tar" 2>&1); then
  die "importing $ref: $out"
fi
echo "$ref"
