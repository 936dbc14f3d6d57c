#!/usr/bin/env bash
# Measures the initbox image against a busybox image, side by side in one
# run, and prints two Markdown tables.
#
# Sizes: uncompressed (docker image inspect -f {{.Size}}) and compressed
# (docker save IMAGE | gzip -c | wc -c).
#
# Start to exit of a TCP check of a ready service, db (e2e/cmd/lateserver):
# `initbox check tcp://db:5432` against busybox's `nc -w1 db 5432` (busybox
# nc has no -z; stdin is empty and db closes at once, so it exits 0 once
# connected). Median of N runs, the variants taking turns, measured twice:
# by the engine (State.StartedAt to State.FinishedAt: the process in its
# container) and as the wall time of `docker run` (create, start, exit).
# The "binary bind-mounted" variants run the same binaries from the host's
# filesystem instead of the image's, to show what the storage driver costs
# (fuse-overlayfs reads the whole binary through FUSE at every start).
#
# Both images are FROM scratch, built here from binaries on this host (the
# busybox one from Debian's busybox-static), so nothing is pulled.
#
#   bench/image.sh     N=51 bench/image.sh     WAIT4X=/path/to/static/wait4x bench/image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-21}
busybox=$(command -v busybox)
id=initbox-bench-$$
work=$(mktemp -d)
cleanup() {
  docker rm -f "$id-db" "$id-run" >/dev/null 2>&1 || true
  docker network rm "$id" >/dev/null 2>&1 || true
  docker rmi -f "$id/initbox" "$id/busybox" "$id/db" "$id/wait4x" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

image() { # image NAME DOCKERFILE_TEXT FILE...
  local name=$1 dockerfile=$2
  shift 2
  mkdir -p "$work/$name"
  cp "$@" "$work/$name/"
  printf '%s\n' "$dockerfile" >"$work/$name/Dockerfile"
  docker build -q -t "$id/$name" "$work/$name" >/dev/null 2>&1
}

# The initbox image is the Dockerfile's prebuilt target, as in the e2e tests.
mkdir -p "$work/initbox"
scripts/build.sh "$work/initbox/initbox" bench
docker build -q --target prebuilt -f Dockerfile -t "$id/initbox" "$work/initbox" >/dev/null 2>&1
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$work/lateserver" ./e2e/cmd/lateserver
image db 'FROM scratch
COPY lateserver /
ENTRYPOINT ["/lateserver", "-addr", ":5432"]' "$work/lateserver"
image busybox 'FROM scratch
COPY busybox /bin/busybox
ENTRYPOINT ["/bin/busybox"]' "$busybox"

# Each variant: image, extra docker run options, command.
variants=("initbox" "busybox" "initbox, binary bind-mounted" "busybox, binary bind-mounted")
declare -A img=([initbox]=initbox [busybox]=busybox
  ["initbox, binary bind-mounted"]=initbox ["busybox, binary bind-mounted"]=busybox)
declare -A opts=(["initbox, binary bind-mounted"]="-v $work/initbox/initbox:/initbox:ro"
  ["busybox, binary bind-mounted"]="-v $busybox:/bin/busybox:ro")
declare -A cmd=([initbox]="check tcp://db:5432" [busybox]="nc -w1 db 5432")
sized=(initbox busybox)
if [ -n "${WAIT4X:-}" ]; then
  image wait4x 'FROM scratch
COPY wait4x /wait4x
ENTRYPOINT ["/wait4x"]' "$WAIT4X"
  variants+=(wait4x)
  img[wait4x]=wait4x
  cmd[wait4x]="tcp db:5432 --timeout 5s"
  sized+=(wait4x)
fi

docker network create "$id" >/dev/null
docker run -d --name "$id-db" --network "$id" --network-alias db "$id/db" >/dev/null
docker run --rm --network "$id" "$id/initbox" wait --timeout 60s tcp://db:5432 2>/dev/null

ns() { date -d "$1" +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f ms", m/1e6}'; }

for _ in $(seq "$N"); do
  for v in "${variants[@]}"; do
    c="$id-run"
    t0=$(date +%s%N)
    # shellcheck disable=SC2086 # options and command are meant to split
    docker run --name "$c" --network "$id" ${opts[$v]:-} "$id/${img[$v]}" ${cmd[${img[$v]}]} </dev/null >/dev/null 2>&1 ||
      { echo "$v: the check failed" >&2; docker logs "$c" >&2; exit 1; }
    t1=$(date +%s%N)
    read -r started finished < <(docker inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}}' "$c")
    docker rm "$c" >/dev/null
    echo $(($(ns "$finished") - $(ns "$started"))) >>"$work/$v.engine"
    echo $((t1 - t0)) >>"$work/$v.wall"
  done
done

mib() { awk -v b="$1" 'BEGIN {printf "%.2f MiB (%d bytes)", b/1048576, b}'; }
echo "| image | uncompressed | docker save \| gzip |"
echo "|---|---|---|"
for name in "${sized[@]}"; do
  echo "| $name | $(mib "$(docker image inspect -f '{{.Size}}' "$id/$name")") | $(mib "$(docker save "$id/$name" | gzip -c | wc -c)") |"
done
echo
echo "| TCP check of a ready service, median of $N | start to exit (engine) | docker run wall time |"
echo "|---|---|---|"
for v in "${variants[@]}"; do
  echo "| $v \`${cmd[${img[$v]}]}\` | $(median <"$work/$v.engine") | $(median <"$work/$v.wall") |"
done
