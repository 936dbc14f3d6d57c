# Helpers that bench/fetch.sh and bench/oci.sh source once $out is set:
# timing and peak RSS of one command, and the arithmetic of the tables.
# The server they start logs one line per request to $out/tmp/requests.

# measure CMD... runs CMD and prints "wall_ms peak_rss_kib cpu_ms" (user + sys).
measure() {
  local t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M %U %S' -o "$out/tmp/rss" "$@" >/dev/null 2>"$out/tmp/err" || {
    echo "failed: $*" >&2; cat "$out/tmp/err" >&2; exit 1
  }
  t1=$EPOCHREALTIME
  echo "$(( (${t1/./} - ${t0/./}) / 1000 )) $(tail -1 "$out/tmp/rss" | awk '{printf "%d %d", $1, ($2 + $3) * 1000}')"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
kib2mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
requests() { wc -l <"$out/tmp/requests"; }
