#!/usr/bin/env bash
# Issue 18's table in one run: initbox beside dockerize, wait4x and busybox
# or a shell loop, each figure measured the same way for every tool. Prints
# the raw line of each measurement as it comes (kept in bench/out/perf.txt),
# then the markdown table with the date.
#   bench/perf.sh [-n TRIALS] [--quick] [-b INITBOX]
# -n: trials of each detection row (default 20). --quick: 3 trials, few
# runs, the 30-40 s rows cut to a few seconds (the table says so) and the
# nslookup loop, which never ends, left out: for testing this script, not
# for figures. -b: measure this binary instead of building one.
# Needs root for the DNS rows (network and mount namespaces), and dnsmasq,
# hyperfine, curl, GNU time, bash; the peers come from ../shared/peers.
#
# Each waiter's result is checked, not trusted: a waiter that exits before
# its target is ready, or not with 0, fails its row (bench/harness), and so
# does a check that passes against a closed port.
set -euo pipefail
cd "$(dirname "$0")/.."
n="" quick=0 bin=""
while [ $# -gt 0 ]; do
  case $1 in
  -n) n=$2; shift 2 ;;
  --quick) quick=1; shift ;;
  -b) bin=$(realpath "$2"); shift 2 ;;
  *) echo "usage: bench/perf.sh [-n TRIALS] [--quick] [-b INITBOX]" >&2; exit 2 ;;
  esac
done
if [ $quick = 1 ]; then
  n=${n:-3} nv=3 nl=2 long=4s from=2s until=4s nm=1 rounds=2 runs=5 fruns=1 fmib=128
else
  # nv: trials of the harness's check of each TCP waiter; nl: pairs of
  # the long-wait row; nm: trials of 1,000 targets; rounds x runs:
  # hyperfine's, the tools taking turns each round; fruns: fetch runs.
  n=${n:-20} nv=5 nl=5 long=31s from=30s until=40s nm=3 rounds=30 runs=10 fruns=5 fmib=1024
fi
root=0
[ "$(id -u)" -eq 0 ] && root=1

scripts/deps.sh
out=bench/out
mkdir -p "$out"
if [ -z "$bin" ]; then
  bin=$(realpath "$out/initbox")
  scripts/build.sh "$bin" # its version names the commit measured
fi
harness=$(realpath "$out/harness")
go build -o "$harness" ./bench/harness
tools=../shared/tools
tmp=$(mktemp -d /dev/shm/initbox-perf.XXXXXX) # tmpfs: the fetch row's downloads
res=$tmp/res peers=$tmp/peers
mkdir -p "$res" "$peers"
listener=""
trap '[ -z "$listener" ] || kill $listener 2>/dev/null; rm -rf "$tmp"' EXIT
for p in dockerize wait4x; do gunzip -c "../shared/peers/$p.gz" >"$peers/$p" && chmod +x "$peers/$p"; done
log=$out/perf.txt
: >"$log"
say() { echo "$*" | tee -a "$log"; }

# keep KEY CMD... runs one measurement, prints its output and keeps the
# last line under KEY; if it failed, that line starts with FAIL and says why.
keep() {
  local key=$1 line
  shift
  if ! "$@" 2>"$tmp/err.$key" | tee -a "$log" >"$tmp/out.$key" || [ ! -s "$tmp/out.$key" ]; then
    line="FAIL: $(tail -qn2 "$tmp/out.$key" "$tmp/err.$key" | sed 's/^FAIL: //' | tr '\n' ' ') cmd=$*"
    say "$line"
  else
    cat "$tmp/out.$key"
    line=$(tail -1 "$tmp/out.$key")
  fi
  echo "$line" >"$res/$key"
}
# field KEY NAME is the value of NAME=… in KEY's line.
field() { grep -o "\b$2=[^ ]*" "$res/$1" | head -1 | cut -d= -f2; }
# vouch KEY BY fails KEY's figure if the measurement BY, which checks the
# same waiter, failed.
vouch() { if grep -q ^FAIL "$res/$2"; then echo "FAIL: $2: $(cat "$res/$2")" >"$res/$1"; fi; }
# sandbox CMD... runs CMD in network and mount namespaces of its own whose
# resolv.conf is a pod's, as dns_latency.py --sandbox makes it.
printf 'nameserver 127.0.0.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n' >"$tmp/resolv.conf"
sandbox() {
  unshare -n -m bash -c 'ip link set lo up && mount --bind "$0" /etc/resolv.conf && exec "$@"' "$tmp/resolv.conf" "$@"
}

# The commands, as a user would type them ({port}, {addr}, {name} replaced).
tcp_initbox=("$bin" wait 'tcp://127.0.0.1:{port}')
tcp_dockerize=("$peers/dockerize" -wait 'tcp://127.0.0.1:{port}' -timeout 60s)
tcp_wait4x=("$peers/wait4x" tcp '127.0.0.1:{port}' -t 60s)
tcp_shell=(bash -c 'until (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; do sleep 2; done')
dns_initbox=("$bin" wait 'dns://{name}')
dns_wait4x=("$peers/wait4x" dns a '{name}' -t 60s)
dns_shell=(busybox sh -c 'until busybox nslookup {name} >/dev/null 2>&1; do busybox sleep 2; done')
many_initbox=(-target 'tcp://{addr}' -- "$bin" wait -q)
many_dockerize=(-target '-wait tcp://{addr}' -- "$peers/dockerize" -timeout 60s)
many_wait4x=(-target '{addr}' -- "$peers/wait4x" -q tcp -t 60s)
waiters=(initbox dockerize wait4x shell)
dnswaiters=(initbox wait4x shell)

say "## TCP: a port that opens 1-3 s after the waiter starts (detect_latency.py; bench/harness checks the waiter)"
for t in "${waiters[@]}"; do
  declare -n cmd=tcp_$t
  keep "tcp.$t" python3 $tools/detect_latency.py -n "$n" -- "${cmd[@]}"
  keep "tcpcheck.$t" "$harness" tcp -n "$nv" -- "${cmd[@]}"
  vouch "tcp.$t" "tcpcheck.$t"
done

if [ $root = 1 ]; then
  say "## DNS: a name that appears 1-3 s in, through a pod's search list (dns_latency.py --sandbox)"
  for t in initbox wait4x; do
    declare -n cmd=dns_$t
    keep "dns.$t" python3 $tools/dns_latency.py --sandbox -n "$n" -- "${cmd[@]}"
  done
fi

# The long rows run side by side, each waiter in its own process group and
# DNS sandbox: their figures are CPU time and queries, which a neighbour
# hardly moves, and so the whole takes 40 s.
say "## Long waits: CPU per second of a $long wait, start-up excluded; DNS queries per second from $from to $until"
for t in "${waiters[@]}"; do
  declare -n cmd=tcp_$t
  keep "idle.$t" "$harness" idle -n "$nl" -short 1s -long "$long" -- "${cmd[@]}" &
done
if [ $root = 1 ]; then
  for t in "${dnswaiters[@]}"; do
    declare -n cmd=dns_$t
    keep "dnsq.$t" sandbox "$harness" dnsq -from "$from" -for "$until" -- "${cmd[@]}" &
  done
  # busybox's nslookup exits 1 while any name of the search list is
  # NXDOMAIN, so this loop may never end: dns_latency.py gives up after 30 s.
  [ $quick = 1 ] || keep dns.shell python3 $tools/dns_latency.py --sandbox -n "$n" -- "${dns_shell[@]}" &
fi
wait
if [ $root = 1 ]; then # a DNS waiter that exits while its name is absent has measured nothing
  for t in initbox wait4x; do vouch "dns.$t" "dnsq.$t"; done
fi

say "## Start-up and a healthcheck of a ready port (hyperfine -N, $rounds rounds of $runs runs, the tools taking turns)"
"$harness" listen >"$tmp/addr" &
listener=$!
for _ in $(seq 50); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
addr=$(cat "$tmp/addr")
declare -A hf=(
  [startup.initbox]="$bin version"
  [startup.dockerize]="$peers/dockerize --version"
  [startup.wait4x]="$peers/wait4x version"
  [startup.shell]="busybox true"
  [check.initbox]="$bin check tcp://$addr"
  [check.dockerize]="$peers/dockerize -wait tcp://$addr -timeout 5s"
  [check.wait4x]="$peers/wait4x tcp $addr -t 5s"
  [check.shell]="bash -c 'exec 3<>/dev/tcp/127.0.0.1/${addr#*:}'"
)
keys=()
for k in $(printf '%s\n' "${!hf[@]}" | sort); do # one run first: hyperfine stops at a failure
  if bash -c "${hf[$k]}" >/dev/null 2>&1; then keys+=("$k"); else say "FAIL: exit $?: ${hf[$k]}" | tee "$res/$k"; fi
done
cmds=()
for k in "${keys[@]}"; do cmds+=("${hf[$k]}"); done
# Many short rounds, so that a change of the machine's load falls on
# every tool alike; the median wall time is over all runs of all rounds.
hfrounds() {
  local r
  for r in $(seq "$rounds"); do
    hyperfine -N --warmup 1 -r "$runs" --export-json "$tmp/hf$r.json" "${cmds[@]}" >"$tmp/hf.out" 2>&1 || return 1
  done
  python3 - "$res" "$rounds" "$tmp" "${keys[@]}" <<'PY' | tee -a "$log"
import json, statistics, sys
res, rounds, tmp, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
for i, key in enumerate(keys):
    rs = [json.load(open(f"{tmp}/hf{r}.json"))["results"][i] for r in range(1, rounds + 1)]
    times = [t for r in rs for t in r["times"]]
    cpu = sum((r["user"] + r["system"]) * len(r["times"]) for r in rs) / len(times)  # rusage, mean
    line = f"{key} median_ms={statistics.median(times)*1000:.2f} cpu_ms={cpu*1000:.2f} runs={len(times)} cmd={rs[0]['command']}"
    open(f"{res}/{key}", "w").write(line + "\n")
    print(line)
PY
}
if [ ${#keys[@]} -gt 0 ] && ! hfrounds; then
  for k in "${keys[@]}"; do say "FAIL: hyperfine: $(tail -1 "$tmp/hf.out")" | tee "$res/$k"; done
fi
kill $listener && wait $listener 2>/dev/null || true
listener=""
if "$bin" check "tcp://$addr" 2>/dev/null; then # the port is closed now
  say "FAIL: $bin check tcp://$addr passed with the port closed" | tee "$res/check.initbox"
fi

size="$fmib MiB"
[ "$fmib" != 1024 ] || size="1 GiB"
say "## Fetch: $size over loopback to tmpfs, sha256 verified, against curl -o (bench/fetch.sh, median of $fruns)"
fetch() {
  OUT=$tmp/fetch RUNS=$fruns BIN=$bin bench/fetch.sh "$fmib" | tee "$tmp/fetch.md" || return 1
  awk -F' *\\| *' 'END { if ($2 != "'"$fmib"' MiB") exit 1; split($9, r, " "); gsub(/ ms/, "", $3); gsub(/ ms/, "", $4)
    printf "fetch initbox_ms=%s curl_ms=%s ratio=%s rss_initbox_mib=%s rss_curl_mib=%s\n", $3, $4, $5, r[1], r[3] }' "$tmp/fetch.md"
}
keep fetch fetch

say "## 1,000 TCP targets in one wait, all opening at once 1-3 s in (bench/harness many)"
for t in initbox dockerize wait4x; do
  declare -n args=many_$t
  keep "many.$t" "$harness" many -n "$nm" -targets 1000 "${args[@]}"
done

say "## Binary size"
for t in initbox dockerize wait4x shell; do
  f=$bin
  case $t in dockerize | wait4x) f=$peers/$t ;; shell) f=$(readlink -f "$(command -v busybox)") ;; esac
  b=$(stat -c %s "$f")
  keep "size.$t" echo "size bytes=$b mib=$(awk -v b="$b" 'BEGIN { printf "%.2f", b / 1048576 }') file=$f"
done

# cell KEY FORMAT NAME... prints FORMAT with the values of KEY's fields: –
# if KEY was not measured, "never" if the waiter never exited, "failed" if
# the measurement failed (the raw lines above say why).
cell() {
  local key=$1 fmt=$2 vals=() f
  shift 2
  if [ ! -s "$res/$key" ]; then printf '–'
  elif grep -q '^FAIL.*did not exit within' "$res/$key"; then printf 'never (not within 30 s)'
  elif grep -q ^FAIL "$res/$key"; then printf '**failed** (%s)' "$key"
  else
    for f; do vals+=("$(field "$key" "$f")"); done
    printf "$fmt" "${vals[@]}"
  fi
}
# row FIGURE FORMAT KEYPREFIX NAME... prints a table row, one cell a tool.
row() {
  local figure=$1 fmt=$2 prefix=$3 t
  shift 3
  printf '| %s |' "$figure"
  for t in "${waiters[@]}"; do printf ' %s |' "$(cell "$prefix.$t" "$fmt" "$@")"; done
  echo
}

echo
echo "raw results: $log"
echo
note=""
[ $quick = 0 ] || note=" **--quick: a test of the script, not figures**"
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/perf.sh -n $n$([ $quick = 0 ] || echo ' --quick')\`,$note on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg); $("$bin" version | head -1)."
echo
echo "| figure | initbox | $("$peers/dockerize" --version | cut -d+ -f1 | cut -d' ' -f1-2) | wait4x | busybox / shell |"
echo "|---|---|---|---|---|"
row "TCP detect p50 / p90, port opens 1–3 s in (n=$n)" '%s / %s ms' tcp p50 p90
row "CPU per second waited, TCP (1–3 s, start-up included)" '%s ms' tcp cpu_ms_per_s_waited
row "CPU per second waited, TCP, from 1 s to ${long%s} s, start-up excluded (n=$nl)" '%s ms' idle cpu_ms_per_s
row "DNS detect p50 / p90, pod search list (n=$n)" '%s / %s ms' dns p50 p90
row "CPU per second waited, DNS" '%s ms' dns cpu_ms_per_s_waited
row "DNS queries per second per waiting target, ${from%s}–${until%s} s (at the server)" '%s' dnsq queries_per_s
row "start-up, \`version\`: wall (median) / CPU (mean)" '%s / %s ms' startup median_ms cpu_ms
row "\`check tcp://\` of a ready port: wall (median) / CPU (mean)" '%s / %s ms' check median_ms cpu_ms
printf '| %s with sha256 vs `curl -o` without (tmpfs, median of %s): wall, peak RSS | %s | – | – | %s |\n' "$size" "$fruns" \
  "$(cell fetch 'ratio %s: %s ms vs %s ms; %s MiB' ratio initbox_ms curl_ms rss_initbox_mib)" \
  "$(cell fetch '`curl -o`: %s ms; %s MiB' curl_ms rss_curl_mib)"
row "1,000 targets in one wait: all detected within (slowest of $nm), peak RSS" '%s ms, %s MiB' many max max_rss_mib
row "binary size" '%s MiB (%s B)' size mib bytes
echo
echo "busybox / shell: TCP rows: bash \`until (exec 3<>/dev/tcp/…); do sleep 2; done\` (busybox 1.35's \`nc\` has no \`-z\`); DNS rows: \`until busybox nslookup NAME; do busybox sleep 2; done\`, which exits 1 while any name of the search list is NXDOMAIN; start-up: \`busybox true\`; check: bash's \`/dev/tcp\`; fetch: \`curl -o\`, which verifies nothing."
echo "–: dockerize cannot wait for a DNS name (its -wait takes file, tcp, unix, http, amqp and mysql URLs); neither it nor wait4x fetches files; a shell loop per target is not one wait of 1,000 targets.$([ $root = 1 ] || echo ' The DNS rows need root.')$([ $quick = 0 ] || echo " --quick leaves out the nslookup loop's detection, which takes 30 s.")"
echo "CPU is user + system time of the waiter and the children it reaped (getrusage). The long-wait row is (CPU of a waiter killed at ${long%s} s − CPU of one killed at 1 s) / the difference, over $nl pairs; DNS queries are counted at a server that answers NXDOMAIN to all (bench/harness dnsq)."
