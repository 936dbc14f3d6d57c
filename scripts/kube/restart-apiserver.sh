#!/usr/bin/env bash
# Stops and/or starts the cluster's kube-apiserver, for tests of what a client
# does while it is away ("API server restarted mid-watch"). The same command
# line up.sh used; etcd keeps the data, so nothing but the connections is lost.
#
#   restart-apiserver.sh [restart]   stop, then start
#   restart-apiserver.sh stop        SIGTERM: it stops listening at once; its
#                                    open connections (watches) end when it
#                                    exits, SIGKILL after 5 s if it has not
#                                    (with watches open it lingers up to 60 s)
#   restart-apiserver.sh kill        SIGKILL, as a crash: connections reset
#   restart-apiserver.sh start       start, wait for /readyz
#
# Works from the host and from inside the namespace (scripts/kube/exec.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -f "$STATE/apiserver.args" ] || die "no cluster in $STATE (run scripts/kube/up.sh)"
T0=$(date +%s)
up() {
  alive apiserver || start_apiserver
  WATCH=apiserver until_ok 180 "kube-apiserver /readyz" api /readyz
}
case ${1:-restart} in
stop) stop apiserver -5 ;;
kill) stop apiserver -0 ;;
start) up ;;
restart)
  stop apiserver -5
  up
  ;;
*) die "usage: restart-apiserver.sh [restart|stop|kill|start]" ;;
esac
log "apiserver ${1:-restart} done after $(since "$T0")"
