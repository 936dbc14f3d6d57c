#!/usr/bin/env bash
# Measures what `initbox run` saves per pod start: a four-step init
# sequence (wait tcp, wait http, fetch, render) as four one-shot containers
# in a row, the way four init containers run, against one container that
# runs the same four steps from a spec file. Both write into a fresh named
# volume each time (an emptyDir is new at every pod start), against a db
# and a file server that are already up, so what differs is the container
# starts. Total wall time of each sequence, the variants taking turns,
# median of N (default 10). Prints a Markdown table.
#
#   bench/run-seq.sh     N=21 bench/run-seq.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10}
id=initbox-runseq-$$
work=$(mktemp -d)
cleanup() {
  docker rm -f "$id-db" "$id-files" >/dev/null 2>&1 || true
  docker volume ls -q --filter "name=$id-" | xargs -r docker volume rm >/dev/null 2>&1 || true
  docker network rm "$id" >/dev/null 2>&1 || true
  docker rmi -f "$id/initbox" "$id/tools" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/initbox" "$work/tools" "$work/spec"
scripts/build.sh "$work/initbox/initbox" bench
docker build -q --target prebuilt -f Dockerfile -t "$id/initbox" "$work/initbox" >/dev/null 2>&1
CGO_ENABLED=0 go build -trimpath -o "$work/tools/" ./e2e/cmd/lateserver ./e2e/cmd/fileserver
printf 'FROM scratch\nCOPY lateserver fileserver /\n' >"$work/tools/Dockerfile"
docker build -q -t "$id/tools" "$work/tools" >/dev/null 2>&1

docker network create "$id" >/dev/null
docker run -d --name "$id-db" --network "$id" --network-alias db "$id/tools" /lateserver -addr :5432 -delay 0s >/dev/null
docker run -d --name "$id-files" --network "$id" --network-alias files \
  -v "$PWD/examples/compose/site:/srv:ro" "$id/tools" /fileserver -addr :8080 -dir /srv >/dev/null

sum=$(sha256sum examples/compose/site/index.html | cut -d' ' -f1)
cat >"$work/spec/init.yaml" <<YAML
steps:
  - wait: tcp://db:5432
  - wait: http://files:8080/index.html
  - fetch: {url: http://files:8080/index.html, sha256: $sum, output: /shared/index.html}
  - render: {template: /templates/app.conf.tmpl, output: /shared/app.conf}
YAML

# initbox VOLUME ARGS...: one init container.
initbox() {
  local vol=$1
  shift
  docker run --rm --network "$id" --user 0:0 -e DB_HOST=db -e DB_PORT=5432 \
    -v "$vol:/shared" -v "$PWD/examples/compose/templates:/templates:ro" -v "$work/spec:/spec:ro" \
    "$id/initbox" "$@" </dev/null >/dev/null 2>"$work/last.err" ||
    { echo "initbox $*: failed" >&2; cat "$work/last.err" >&2; exit 1; }
}
four() {
  initbox "$1" wait tcp://db:5432
  initbox "$1" wait http://files:8080/index.html
  initbox "$1" fetch --sha256 "$sum" -o /shared/index.html http://files:8080/index.html
  initbox "$1" render -o /shared/app.conf /templates/app.conf.tmpl
}
one() { initbox "$1" run /spec/init.yaml; }

# Both ready before the first timed trial.
initbox "$id-warm" wait --timeout 60s tcp://db:5432 http://files:8080/index.html
for i in $(seq "$N"); do
  for v in four one; do
    vol=$id-$v-$i
    docker volume create "$vol" >/dev/null
    t0=$(date +%s%N)
    "$v" "$vol"
    t1=$(date +%s%N)
    echo $((t1 - t0)) >>"$work/$v"
    docker run --rm -v "$vol:/shared:ro" --entrypoint /initbox "$id/initbox" wait -q file:///shared/app.conf file:///shared/index.html
    docker volume rm "$vol" >/dev/null
  done
done

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m/1e6}'; }
m4=$(median <"$work/four")
m1=$(median <"$work/one")
echo "| wait tcp, wait http, fetch, render; median of $N | total wall time |"
echo "|---|---|"
echo "| four one-shot containers in a row (four init containers) | $m4 ms |"
echo "| one container: \`initbox run\` | $m1 ms |"
echo "| saved per pod start | $((m4 - m1)) ms ($(awk -v a="$m4" -v b="$m1" 'BEGIN {printf "%.0f", 100*(a-b)/a}')%) |"
