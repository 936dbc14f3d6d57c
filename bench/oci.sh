#!/usr/bin/env bash
# Measures initbox fetch oci:// against `oras pull` (the peer binary, see
# /work/shared/peers/README.md, or ORAS=path) on one artifact of LAYERS
# layers (default 8) totalling SIZE_MIB (default 1024), pushed with
# `oras push` to Debian's docker-registry on loopback (bench/ociregistry).
# Prints a markdown table fragment: wall time and peak RSS of each pull
# (median of RUNS, default 3, the tools taking turns), and the requests
# a re-run makes (by tag: one HEAD; by digest: none).
#
# Usage: bench/oci.sh     Environment: SIZE_MIB, LAYERS, RUNS, OUT, ORAS
set -euo pipefail
cd "$(dirname "$0")/.."

size=${SIZE_MIB:-1024}
layers=${LAYERS:-8}
runs=${RUNS:-3}
out=${OUT:-bench/out/oci}
oras=${ORAS:-}
if [ -z "$oras" ]; then
  oras=/tmp/peers/oras
  [ -x "$oras" ] || { mkdir -p /tmp/peers && gunzip -c /work/shared/peers/oras.gz >"$oras" && chmod +x "$oras"; }
fi
for tool in docker-registry /usr/bin/time go; do
  command -v "$tool" >/dev/null || { echo "bench/oci.sh needs $tool (scripts/deps.sh installs it)" >&2; exit 1; }
done

rm -rf "$out/reg" "$out/dst" "$out/tmp"
mkdir -p "$out/src" "$out/dst" "$out/tmp" "$out/reg"
bin=$(realpath "$out/initbox")
scripts/build.sh "$bin" bench
go build -o "$out/ociregistry" ./bench/ociregistry

"$out/ociregistry" -dir "$(realpath "$out/reg")" >"$out/tmp/addr" 2>"$out/tmp/requests" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out/dst" "$out/tmp" "$out/reg"' EXIT
for _ in $(seq 100); do [ -s "$out/tmp/addr" ] && break; sleep 0.1; done
addr=$(head -1 "$out/tmp/addr")

each=$((size / layers))
files=()
for i in $(seq "$layers"); do
  f="layer$i.bin"
  [ -s "$out/src/$f" ] && [ "$(stat -c %s "$out/src/$f")" -eq $((each << 20)) ] || head -c $((each << 20)) /dev/urandom >"$out/src/$f"
  files+=("$f")
done
(cd "$out/src" && "$oras" push --plain-http "$addr/bench/big:1" "${files[@]}" >/dev/null)
digest=$("$oras" resolve --plain-http "$addr/bench/big:1")

. bench/lib.sh
# synced CMD... is measure, after a sync, untimed: oras writes without
# fsync, and the dirty pages it leaves would otherwise be flushed during
# the next tool's run.
synced() { sync; measure "$@"; }

t_ib=() r_ib=() t_oras=() r_oras=() t_re=() t_dig=() t_oras_re=()
for _ in $(seq "$runs"); do
  rm -rf "$out/dst" && mkdir -p "$out/dst"
  read -r t r _ < <(synced "$bin" -q fetch --plain-http -o "$out/dst/ib" "oci://$addr/bench/big:1")
  t_ib+=("$t") r_ib+=("$r")
  before=$(requests)
  read -r t _ < <(synced "$bin" -q fetch --plain-http -o "$out/dst/ib" "oci://$addr/bench/big:1")
  t_re+=("$t")
  re_tag=$(( $(requests) - before ))
  before=$(requests)
  read -r t _ < <(synced "$bin" -q fetch --plain-http -o "$out/dst/ib" "oci://$addr/bench/big@$digest")
  t_dig+=("$t")
  re_digest=$(( $(requests) - before ))
  rm -rf "$out/dst" && mkdir -p "$out/dst"
  read -r t r _ < <(synced "$oras" pull --plain-http -o "$out/dst/oras" "$addr/bench/big:1")
  t_oras+=("$t") r_oras+=("$r")
  before=$(requests)
  read -r t _ < <(synced "$oras" pull --plain-http -o "$out/dst/oras" "$addr/bench/big:1")
  t_oras_re+=("$t")
  oras_re=$(( $(requests) - before ))
done
for f in "${files[@]}"; do cmp -s "$out/src/$f" "$out/dst/oras/$f" || { echo "oras pulled a wrong $f" >&2; exit 1; }; done

echo "<!-- bench/oci.sh: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $runs runs, median; $layers layers of $each MiB -->"
echo "| artifact | initbox fetch oci:// | oras pull | peak RSS initbox / oras | re-run by tag (requests) | re-run by digest (requests) | oras re-run (requests) |"
echo "|---|---|---|---|---|---|---|"
echo "| $size MiB, $layers layers | $(median "${t_ib[@]}") ms | $(median "${t_oras[@]}") ms | $(kib2mib "$(median "${r_ib[@]}")") / $(kib2mib "$(median "${r_oras[@]}")") MiB | $(median "${t_re[@]}") ms ($re_tag) | $(median "${t_dig[@]}") ms ($re_digest) | $(median "${t_oras_re[@]}") ms ($oras_re) |"
