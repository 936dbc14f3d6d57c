#!/usr/bin/env bash
# How soon does "initbox wait postgres://…" notice that PostgreSQL accepts
# queries, when the server is started with pg_ctl while initbox waits?
#
# Method, per run:
#   1. initbox wait (default timing: an attempt every ~100 ms) starts
#      against a stopped server, and so does "initbox wait tcp://" on the
#      same port, for comparison;
#   2. pg_ctl start (without waiting);
#   3. the server logs "database system is ready to accept connections"
#      with log_line_prefix %n (Unix time, milliseconds): the moment the
#      postmaster starts taking sessions;
#   4. initbox logs "ready" (time=…, milliseconds) when its check passed:
#      login and SELECT 1 done;
#   5. latency = initbox's "ready" − the server's "ready"; the same clock.
# Then pg_ctl stop -m fast. Prints each run and p50/p90/max.
#
# Usage: bench/postgres.sh [RUNS]   (default 20; run as root or as a user
# that may run PostgreSQL; installs nothing: see scripts/deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/postgres" ] || { echo "PostgreSQL not installed: run scripts/deps.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/initbox-bench-pg.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	as_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" -eq 0 ] && chown postgres "$work"

scripts/build.sh "$work/initbox" bench
as_pg "$bin/initdb" -D "$work/data" -U postgres --auth=trust -N >/dev/null

# A random loopback address: nothing else on this host listens there.
host="127.$((RANDOM % 250 + 1)).$((RANDOM % 250)).$((RANDOM % 250 + 1))"
port=5432
opts="-c listen_addresses=$host -p $port -k $work -c log_line_prefix=%n\  -c fsync=off"

ms() { date -d "$1" +%s%3N; } # RFC 3339 → Unix milliseconds

lat=()
window=()
early=0
for i in $(seq 1 "$runs"); do
	"$work/initbox" wait --timeout 60s "postgres://postgres@$host:$port/postgres" 2>"$work/pg.log" &
	pw=$!
	"$work/initbox" wait --timeout 60s "tcp://$host:$port" 2>"$work/tcp.log" &
	tw=$!
	pids=("$pw" "$tw")
	# Both retry against the stopped server; the random part puts the
	# server's start at a random point of initbox's 100 ms cycle.
	sleep "0.$((300 + RANDOM % 100))"
	as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -o "$opts" start >/dev/null
	wait "$pw" "$tw"
	pids=()
	listening=$(grep 'listening on IPv4' "$work/server.log" | tail -1 | awk '{print $1}' | tr -d .)
	server=$(grep 'database system is ready to accept connections' "$work/server.log" | tail -1 | awk '{print $1}' | tr -d .)
	ours=$(ms "$(grep 'msg=ready' "$work/pg.log" | sed 's/^time=\([^ ]*\).*/\1/')")
	tcp=$(ms "$(grep 'msg=ready' "$work/tcp.log" | sed 's/^time=\([^ ]*\).*/\1/')")
	lat+=($((ours - server)))
	window+=($((server - listening)))
	[ "$tcp" -lt "$server" ] && early=$((early + 1))
	printf 'run %2d: port open %3d ms before accepting queries; postgres:// ready %3d ms after; tcp:// %+4d ms\n' \
		"$i" "$((server - listening))" "$((ours - server))" "$((tcp - server))"
	as_pg "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null
	: >"$work/server.log"
done

pct() { # percentile P of the numbers on stdin
	sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p/100)+1; print a[i]}'
}
echo
echo "postgres:// detection latency over $runs runs: p50 $(printf '%s\n' "${lat[@]}" | pct 50) ms," \
	"p90 $(printf '%s\n' "${lat[@]}" | pct 90) ms, max $(printf '%s\n' "${lat[@]}" | pct 100) ms"
echo "port open before the server accepted queries: p50 $(printf '%s\n' "${window[@]}" | pct 50) ms;" \
	"tcp:// said ready too early in $early of $runs runs"
