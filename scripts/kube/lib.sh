# Sourced by the scripts in scripts/kube/: names, paths and helpers shared by
# up.sh, down.sh, restart-apiserver.sh and exec.sh. Not executable on its own.
#
# One cluster is one network namespace: INITBOX_KUBE_NETNS (default
# initbox-kube) names it, and its state lives in INITBOX_KUBE_STATE (default
# /run/$INITBOX_KUBE_NETNS). Two clusters on one machine need two names; only
# one of them may run a node (the kubelet's cgroups are not namespaced).

NETNS=${INITBOX_KUBE_NETNS:-initbox-kube}
NSPATH=/run/netns/$NETNS
STATE=${INITBOX_KUBE_STATE:-/run/$NETNS}
PKI=$STATE/pki
PIDS=$STATE/pids
LOGS=$STATE/logs
ETCD_DATA=/dev/shm/$NETNS-etcd
KUBE_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Addresses exist only inside the namespace: the node address sits on kube0
# interface there, the service and pod ranges are routed only there.
NODE_NAME=initbox-node
NODE_IP=10.200.0.2
NODE_CIDR=24
SERVICE_CIDR=10.0.0.0/24
APISERVER_SERVICE_IP=10.0.0.1
DNS_SERVICE_IP=10.0.0.10
POD_CIDR=10.244.0.0/24
APISERVER_PORT=6443
APISERVER=https://127.0.0.1:$APISERVER_PORT
ETCD_URL=http://127.0.0.1:2379

log() { echo "kube: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# inns runs a command in the cluster's network namespace, in the host's mount
# namespace (ip netns exec would give each process a mount namespace of its
# own, and the kubelet's volume mounts must be seen by containerd and runc).
inns() { nsenter --net="$NSPATH" -- "$@"; }

# start NAME CMD... starts a daemon in the namespace, detached from the
# caller's session, logging to $LOGS/NAME.log. $PIDS/NAME holds its PID and
# start time, so that a recycled PID is never taken for it.
start() {
  local name=$1
  shift
  mkdir -p "$PIDS" "$LOGS"
  setsid nsenter --net="$NSPATH" -- "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo "$! $(starttime $!)" >"$PIDS/$name"
}

# starttime PID prints the process's start time in clock ticks since boot
# (field 22 of /proc/PID/stat; the command name before it may hold spaces).
starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  echo "$stat" | cut -d' ' -f20
}

# pidof_started NAME prints the PID of a daemon start() started, while it runs.
pidof_started() {
  local f=$PIDS/$1 pid st
  [ -f "$f" ] || return 1
  read -r pid st <"$f"
  [ -n "$pid" ] && [ "$(starttime "$pid")" = "$st" ] || return 1
  echo "$pid"
}

alive() { pidof_started "$1" >/dev/null; }

# stop NAME... [-SECONDS] sends SIGTERM to each of the named daemons at
# once, then SIGKILL to those still running after SECONDS (default 10;
# with 0, SIGKILL at once), and waits until all have exited.
stop() {
  local grace=10 names=() pids=() n pid i
  for n in "$@"; do
    case $n in -[0-9]*) grace=${n#-} ;; *) names+=("$n") ;; esac
  done
  for n in "${names[@]}"; do
    if pid=$(pidof_started "$n"); then
      pids+=("$pid")
      [ "$grace" = 0 ] || kill "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDS/$n"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for ((i = 0; i < grace * 20; i++)); do
    running "${pids[@]}" || return 0
    sleep 0.05
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      [ "$grace" = 0 ] || log "$(cut -d' ' -f2 "/proc/$pid/stat" 2>/dev/null) ($pid) still runs ${grace}s after SIGTERM: SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 100; i++)); do
    running "${pids[@]}" || return 0
    sleep 0.05
  done
}

# running PID... tells whether any of the processes still runs.
running() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

# until_ok SECONDS WHAT CMD... retries CMD every 0.2 s until it succeeds;
# after SECONDS it fails, showing the last output of CMD. A watched daemon
# that dies (WATCH=name) fails it at once, with its log's tail.
until_ok() {
  local limit=$1 what=$2 end out
  shift 2
  end=$(($(date +%s) + limit))
  while ! out=$("$@" 2>&1); do
    if [ -n "${WATCH:-}" ] && ! alive "$WATCH"; then
      log "$WATCH died while waiting for $what; last lines of its log:"
      tail -25 "$LOGS/$WATCH.log" >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$end" ]; then
      log "timed out after ${limit}s waiting for $what; last output: ${out:0:500}"
      return 1
    fi
    sleep 0.2
  done
}

# api GET PATH as admin, from inside the namespace.
api() {
  inns curl -sS --fail --max-time 10 --cacert "$PKI/ca.crt" \
    --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$APISERVER$1"
}

kubectl_bin() { echo "$(cat "$STATE/bin")/kubectl"; }
kc() { inns "$(kubectl_bin)" --kubeconfig "$PKI/admin.kubeconfig" "$@"; }

since() { echo "$(($(date +%s) - $1)) s"; }

# start_apiserver starts kube-apiserver with the command line up.sh kept.
start_apiserver() {
  local args
  mapfile -t args <"$STATE/apiserver.args"
  start apiserver "${args[@]}"
}
