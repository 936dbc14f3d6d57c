#!/usr/bin/env bash
# Measures initbox fetch against curl over loopback, side by side in one
# run, and prints a markdown table fragment:
#   - initbox fetch --sha256 (verified, fsynced, renamed into place): wall
#     time and peak RSS;
#   - curl -o (no verification, no fsync) and curl | sha256sum;
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

# measure CMD... runs CMD and prints "wall_ms peak_rss_kib".
measure() {
  local t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$out/tmp/rss" "$@" >/dev/null 2>"$out/tmp/err" || {
    echo "failed: $*" >&2; cat "$out/tmp/err" >&2; exit 1
  }
  t1=$EPOCHREALTIME
  echo "$(( (${t1/./} - ${t0/./}) / 1000 )) $(tail -1 "$out/tmp/rss")"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
kib2mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
requests() { wc -l <"$out/tmp/requests"; }

echo "<!-- bench/fetch.sh: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), $runs runs, median -->"
echo "| file | initbox fetch --sha256 | curl -o (no check) | ratio | curl \| sha256sum | peak RSS initbox / curl | re-run with checksum | sha256sum of the file | requests on re-run |"
echo "|---|---|---|---|---|---|---|---|---|"
for mib in "${sizes[@]}"; do
  src="$out/srv/f$mib"
  [ -s "$src" ] && [ "$(stat -c %s "$src")" -eq $((mib << 20)) ] || head -c $((mib << 20)) /dev/urandom >"$src"
  sum=$(sha256sum "$src" | cut -d' ' -f1)
  cat "$src" >/dev/null # served from the page cache
  url="http://$addr/f$mib"
  dest="$out/dst/f$mib"
  t_ib=() r_ib=() t_curl=() r_curl=() t_pipe=() t_skip=() t_sum=()
  for _ in $(seq "$runs"); do
    rm -rf "$out/dst" && mkdir -p "$out/dst"
    read -r t r < <(measure "$bin" -q fetch --sha256 "$sum" -o "$dest" "$url")
    t_ib+=("$t") r_ib+=("$r")
    cmp -s "$src" "$dest" || { echo "initbox fetch did not write $dest as served" >&2; exit 1; }
    before=$(requests)
    read -r t _ < <(measure "$bin" -q fetch --sha256 "$sum" -o "$dest" "$url")
    t_skip+=("$t")
    [ "$(requests)" -eq "$before" ] || { echo "the re-run made a request" >&2; exit 1; }
    read -r t _ < <(measure sha256sum "$dest")
    t_sum+=("$t")
    rm -rf "$out/dst" && mkdir -p "$out/dst"
    read -r t r < <(measure curl -sSf -o "$dest.curl" "$url")
    t_curl+=("$t") r_curl+=("$r")
    rm -f "$dest.curl"
    read -r t _ < <(measure bash -c "curl -sSf '$url' | sha256sum")
    t_pipe+=("$t")
  done
  ib=$(median "${t_ib[@]}") cu=$(median "${t_curl[@]}") pipe=$(median "${t_pipe[@]}")
  skip=$(median "${t_skip[@]}") hash=$(median "${t_sum[@]}")
  printf '| %d MiB | %d ms | %d ms | %s | %d ms (%s× initbox) | %s / %s MiB | %d ms | %d ms | 0 |\n' \
    "$mib" "$ib" "$cu" "$(ratio "$ib" "$cu")" "$pipe" "$(ratio "$pipe" "$ib")" \
    "$(kib2mib "$(median "${r_ib[@]}")")" "$(kib2mib "$(median "${r_curl[@]}")")" "$skip" "$hash"
done
