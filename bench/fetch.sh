#!/usr/bin/env bash
# Measures initbox fetch against curl over loopback, side by side in one
# run, and prints a markdown table fragment:
#   - initbox fetch --sha256 (verified, fsynced, renamed into place): wall
#     time, CPU time (user+sys, fair on a loaded machine) and peak RSS;
#   - curl -o (no verification, no fsync), the same followed by sync FILE
#     (durable, as initbox's file is), and curl | sha256sum;
#   - a re-run with a matching checksum (no request may reach the server)
#     against sha256sum of the file on disk.
# Each figure is the median of RUNS runs (default 5), the tools taking turns.
# The files are served by bench/fileserver (Go, sendfile) from the page
# cache, so the server is not the bottleneck.
#
# Usage: bench/fetch.sh [SIZE_MIB...]   (default: 128 1024)
# Environment: RUNS (default 5); OUT (default bench/out/fetch) holds the
# served files and the downloads (put it on the disk you care about); BIN
# measures that initbox binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(128 1024); fi
runs=${RUNS:-5}
out=${OUT:-bench/out/fetch}
for tool in curl sha256sum /usr/bin/time go; do
  command -v "$tool" >/dev/null || { echo "bench/fetch.sh needs $tool (scripts/deps.sh installs it)" >&2; exit 1; }
done

mkdir -p "$out/srv" "$out/dst" "$out/tmp"
if [ -n "${BIN:-}" ]; then
  bin=$(realpath "$BIN")
else
  bin=$(realpath "$out/initbox")
  scripts/build.sh "$bin" bench
fi
go build -o "$out/fileserver" ./bench/fileserver

"$out/fileserver" -dir "$out/srv" >"$out/tmp/addr" 2>"$out/tmp/requests" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out/dst" "$out/tmp"' EXIT
for _ in $(seq 50); do [ -s "$out/tmp/addr" ] && break; sleep 0.1; done
addr=$(head -1 "$out/tmp/addr")

. bench/lib.sh

echo "<!-- bench/fetch.sh: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), $runs runs, median -->"
echo "| file | initbox fetch --sha256 | curl -o (no check) | ratio | curl -o + sync | CPU initbox / curl -o | curl \| sha256sum | peak RSS initbox / curl | re-run with checksum | sha256sum of the file | requests on re-run |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for mib in "${sizes[@]}"; do
  src="$out/srv/f$mib"
  [ -s "$src" ] && [ "$(stat -c %s "$src")" -eq $((mib << 20)) ] || head -c $((mib << 20)) /dev/urandom >"$src"
  sum=$(sha256sum "$src" | cut -d' ' -f1)
  cat "$src" >/dev/null # served from the page cache
  url="http://$addr/f$mib"
  dest="$out/dst/f$mib"
  t_ib=() r_ib=() c_ib=() t_curl=() r_curl=() c_curl=() t_sync=() t_pipe=() t_skip=() t_sum=()
  for _ in $(seq "$runs"); do
    rm -rf "$out/dst" && mkdir -p "$out/dst"
    read -r t r c < <(measure "$bin" -q fetch --sha256 "$sum" -o "$dest" "$url")
    t_ib+=("$t") r_ib+=("$r") c_ib+=("$c")
    cmp -s "$src" "$dest" || { echo "initbox fetch did not write $dest as served" >&2; exit 1; }
    before=$(requests)
    read -r t _ < <(measure "$bin" -q fetch --sha256 "$sum" -o "$dest" "$url")
    t_skip+=("$t")
    [ "$(requests)" -eq "$before" ] || { echo "the re-run made a request" >&2; exit 1; }
    read -r t _ < <(measure sha256sum "$dest")
    t_sum+=("$t")
    rm -rf "$out/dst" && mkdir -p "$out/dst"
    read -r t r c < <(measure curl -sSf -o "$dest.curl" "$url")
    t_curl+=("$t") r_curl+=("$r") c_curl+=("$c")
    rm -f "$dest.curl"
    read -r t _ < <(measure bash -c "curl -sSf -o '$dest.curl' '$url' && sync '$dest.curl'")
    t_sync+=("$t")
    rm -f "$dest.curl"
    read -r t _ < <(measure bash -c "curl -sSf '$url' | sha256sum")
    t_pipe+=("$t")
  done
  ib=$(median "${t_ib[@]}") cu=$(median "${t_curl[@]}") pipe=$(median "${t_pipe[@]}")
  skip=$(median "${t_skip[@]}") hash=$(median "${t_sum[@]}") synced=$(median "${t_sync[@]}")
  printf '| %d MiB | %d ms | %d ms | %s | %d ms | %d / %d ms | %d ms (%s× initbox) | %s / %s MiB | %d ms | %d ms | 0 |\n' \
    "$mib" "$ib" "$cu" "$(ratio "$ib" "$cu")" "$synced" "$(median "${c_ib[@]}")" "$(median "${c_curl[@]}")" \
    "$pipe" "$(ratio "$pipe" "$ib")" \
    "$(kib2mib "$(median "${r_ib[@]}")")" "$(kib2mib "$(median "${r_curl[@]}")")" "$skip" "$hash"
done
