#!/usr/bin/env bash
# Measures `initbox render` against the figures in bench/README.md:
#   1. a tree of 1,000 small templates, first run (every file new): wall time, target <= 100 ms
#   2. the same again, nothing changed: wall time <= 50 ms, and zero file writes
#      (strace shows no open for writing, no rename, no fsync; inodes and mtimes are unchanged)
#   3. one template with a 10 MiB output: peak RSS <= 64 MiB
#
# Usage: bench/render.sh [DIR]
#   DIR is where the trees are made (default: a new directory under $TMPDIR).
#   Its file system decides the first-run figure, which is 1,000 fsyncs:
#   bench/render.sh /dev/shm/x measures on tmpfs (an emptyDir with medium: Memory).
# Needs: go, strace, GNU time (/usr/bin/time), awk; hyperfine if present (else a loop).
set -euo pipefail
cd "$(dirname "$0")/.."

work=${1:-$(mktemp -d)}
mkdir -p "$work"
bin="$work/initbox"
scripts/build.sh "$bin" bench
cd "$work"
export PORT=80 DOMAIN=example.org BACKEND=app:9000

echo "# initbox render benchmark: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(stat -f -c %T .) in $work"

# The tree: 10 directories of 100 nginx server blocks, 5 values each.
rm -rf in out && mkdir in
for d in $(seq 0 9); do
	mkdir -p "in/d$d"
	for i in $(seq 0 99); do
		n=$((d * 100 + i))
		cat >"in/d$d/site$n.conf.tmpl" <<TMPL
server {
  listen {{ .Env.PORT }};
  server_name app$n.{{ .Env.DOMAIN }};
  root {{ default "/srv" .Env.ROOT }}/$n;
  location / { proxy_pass http://{{ .Env.BACKEND }}; proxy_set_header Host \$host; }
}
TMPL
	done
done
render=("$bin" -q render --input-dir in --output-dir out --trim-suffix .tmpl)

# wall RUNS PREPARE: prints mean and min wall time of RUNS runs of $render.
wall() {
	local runs=$1 prepare=$2
	if command -v hyperfine >/dev/null; then
		hyperfine -N -w 3 -r "$runs" --prepare "$prepare" --export-csv wall.csv "${render[*]}" >/dev/null 2>&1
		# command,mean,stddev,median,user,system,min,max
		awk -F, 'NR == 2 {printf "mean %.1f ms, median %.1f ms, min %.1f ms (user %.1f ms, sys %.1f ms)\n", $2*1e3, $4*1e3, $7*1e3, $5*1e3, $6*1e3}' wall.csv
		return
	fi
	local times=()
	for _ in $(seq "$runs"); do
		sh -c "$prepare"
		local s=$(date +%s%N)
		"${render[@]}"
		times+=($((($(date +%s%N) - s) / 1000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR]=$1; s+=$1} END {printf "mean %.1f ms, median %.1f ms, min %.1f ms\n", s/NR/1000, t[int((NR+1)/2)]/1000, t[1]/1000}'
}

echo "1. 1,000 templates, first run:      $(wall 20 "rm -rf '$work/out'")"
"${render[@]}"
echo "2. 1,000 templates, nothing changed: $(wall 30 true)"

# Zero writes: trace the re-run and look for anything that writes a file.
before=$(find out -type f -printf '%i %T@ %m %p\n' | sort | sha256sum)
strace -f -qq -e trace=openat,open,creat,rename,renameat,renameat2,fsync,fdatasync,write,pwrite64,truncate,ftruncate,unlink,unlinkat \
	-o strace.log "$bin" render --input-dir in --output-dir out --trim-suffix .tmpl 2>render.log
after=$(find out -type f -printf '%i %T@ %m %p\n' | sort | sha256sum)
file_writes=$(grep -cE 'O_WRONLY|O_RDWR|O_CREAT|rename|fsync|fdatasync|truncate|unlink|pwrite' strace.log || true)
other_writes=$(grep -E '^[0-9]+ +write\(' strace.log | grep -cv 'write(2,' || true)
echo "   system calls that write files: $file_writes; write(2) to anything but stderr: $other_writes" \
	"(stderr: $(grep -cE '^[0-9]+ +write\(2,' strace.log) log line: $(tail -1 render.log | sed 's/^time=[^ ]* //'))"
[ "$before" = "$after" ] && echo "   inodes, mtimes and modes of the 1,000 outputs: unchanged" || echo "   FAIL: outputs changed"
[ "$file_writes" = 0 ] && [ "$other_writes" = 0 ] || echo "   FAIL: the re-run wrote files"
echo "   strace -c of the re-run:"
strace -c -f -qq -e trace=write,openat,rename,renameat2,fsync "$bin" -q render --input-dir in --output-dir out --trim-suffix .tmpl 2>&1 | sed 's/^/     /'

# 10 MiB of output from a small template (a generated upstream list), and
# from a large, mostly static one (few actions).
printf '{{ range 180000 }}server backend-{{ . }}.{{ $.Env.DOMAIN }}:{{ $.Env.PORT }} weight=1 max_fails=3;\n{{ end }}' >big.tmpl
awk 'BEGIN { for (i = 0; i < 150000; i++)
	if (i % 150 == 0) printf "value %d = {{ .Env.PORT }}\n", i
	else printf "# static line %06d of a large configuration file, padded to sixty-odd bytes\n", i }' >static.tmpl
for t in big static; do
	rm -f "$t.out"
	first=$( { /usr/bin/time -f '%M %e' "$bin" -q render -o "$t.out" "$t.tmpl"; } 2>&1 | tail -1)
	again=$( { /usr/bin/time -f '%M %e' "$bin" -q render -o "$t.out" "$t.tmpl"; } 2>&1 | tail -1)
	echo "3. $t.tmpl -> $(($(stat -c %s "$t.out") / 1024)) KiB output: peak RSS $((${first% *} / 1024)) MiB (${first#* } s) first run, $((${again% *} / 1024)) MiB (${again#* } s) unchanged re-run"
done
