#!/usr/bin/env bash
# Shows initbox doing real work on this machine, with no network but
# loopback: the three jobs of an init container, chained with "--" as a
# pod with no shell would chain them, then run again to show that a re-run
# changes nothing.
set -euo pipefail
initbox=$(realpath "${1:-./initbox}")
examples=$(realpath "$(dirname "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shared"
src=$examples/render/values.yaml
sum=$(sha256sum "$src" | cut -d' ' -f1)

echo "== initbox version"
"$initbox" version

echo
echo "== a sidecar writes a file after 1 s; wait for it, then fetch (verified) and render (strict)"
(sleep 1; echo '{"ready":true}' >"$work/shared/ready.json") &
steps() {
  "$initbox" wait --timeout 10s --non-empty "file://$work/shared/ready.json" -- \
    "$initbox" fetch --sha256 "$sum" -o "$work/shared/values.yaml" "file://$src" -- \
    "$initbox" render --envsubst --envsubst-prefix NGINX_ -o "$work/shared/default.conf" "$examples/render/default.conf.template"
}
NGINX_PORT=8080 NGINX_HOST=demo.local steps
echo "-- rendered: nginx's \$host survived, the set variables were filled in:"
cat "$work/shared/default.conf"

echo
echo "== the same again: nothing is downloaded or written (same inode, same mtime)"
before=$(stat -c '%n inode %i mtime %Y' "$work/shared/default.conf" "$work/shared/values.yaml")
NGINX_PORT=8080 NGINX_HOST=demo.local steps
after=$(stat -c '%n inode %i mtime %Y' "$work/shared/default.conf" "$work/shared/values.yaml")
[ "$before" = "$after" ] && echo "-- unchanged:" && echo "$after"

echo
echo "== a wrong checksum: exit 1, and the good file stays as it was"
set +e
"$initbox" fetch --sha256 "$(printf '0%.0s' {1..64})" -o "$work/shared/values.yaml" "file://$src"
echo "exit code: $? (file still verifies: $(sha256sum "$work/shared/values.yaml" | cut -c1-12)…)"

echo
echo "== a target that never appears: exit 124 with the reason"
"$initbox" wait --timeout 500ms "file://$work/never"
echo "exit code: $?"
