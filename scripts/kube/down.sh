#!/usr/bin/env bash
# Tears down the cluster of up.sh and leaves nothing behind: its processes
# (stopped by the PIDs up.sh recorded; pods' processes and containerd shims
# found by their cgroup and by the cluster's own containerd socket), mounts
# under the state directory, the network namespace (with it the pod bridge,
# kube-proxy's nft table and every route), the kubelet's cgroups, etcd's data
# and the state directory. Safe to run at any time, also on a half-up
# cluster or none. Exits 1 if anything is left. (Outside the state
# directory, the kubelet and CNI write a few files at fixed paths: removed
# too, see host_files.)
#
# INITBOX_KUBE_LOGS=DIR keeps a copy of the components' logs there first.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

T0=$(date +%s)
SOCK=$STATE/containerd/containerd.sock

# With the node up, the kubelet stops the pods itself: containers killed,
# sandboxes' networks deleted by CNI, volumes unmounted. The controllers go
# first, so that nothing creates pods again.
drain() {
  alive kubelet && alive apiserver || return 0
  stop scheduler kcm -3
  kc delete pods --all --all-namespaces --grace-period=1 --wait=false >/dev/null 2>&1 || return 0
  until_ok 90 "the kubelet to stop every pod" no_pods || true
  until_ok 30 "containerd's pod tasks to end" no_tasks || true
}
no_pods() {
  local out
  out=$(kc get pods --all-namespaces -o name 2>/dev/null) && [ -z "$out" ]
}
no_tasks() { ! ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null | grep -q .; }

# Whatever the kubelet left: kill and delete tasks through containerd.
kill_tasks() {
  [ -S "$SOCK" ] && alive containerd || return 0
  local t
  for t in $(ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr -a "$SOCK" -n k8s.io tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1
  done
  for t in $(ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr -a "$SOCK" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1
  done
}

# pods_cgroups prints the cluster's cgroup directories (its kubelet's
# cgroupRoot, /$NETNS), deepest first.
pods_cgroups() {
  local c
  for c in /sys/fs/cgroup/*/"$NETNS" /sys/fs/cgroup/"$NETNS"; do
    [ -d "$c" ] && find "$c" -depth -type d
  done
}

# Processes still in the pods' cgroups, and shims serving our containerd's
# socket, are the cluster's: killed by PID.
kill_leftovers() {
  local pids p
  pids=$(pods_cgroups | while read -r c; do cat "$c/cgroup.procs" 2>/dev/null; done | sort -u)
  pids="$pids $(shims)"
  for p in $pids; do kill -9 "$p" 2>/dev/null && log "killed leftover process $p"; done
  until_ok 10 "killed leftovers to exit" gone $pids || true
}
shims() {
  local p
  for p in $(grep -lzxF -- "$SOCK" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
    # (grep's own command line holds the socket's path too)
    case $(readlink "/proc/$p/exe" 2>/dev/null) in */containerd-shim*) echo "$p" ;; esac
  done
}
gone() {
  local p
  for p in "$@"; do ! kill -0 "$p" 2>/dev/null || return 1; done
}

our_mounts() { awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r; }
unmount_all() {
  local m
  for m in $(our_mounts); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}

remove_cgroups() {
  pods_cgroups | xargs -r rmdir 2>/dev/null
}

# The few things the kubelet and CNI keep at fixed host paths: the
# containers' log links (into $STATE), CNI's results cache of this cluster's
# network, the kubelet's device-plugin socket; and their directories, once
# empty.
host_files() {
  local l
  for l in /var/log/containers/*.log; do
    [ -L "$l" ] && [[ $(readlink "$l") == "$STATE/"* ]] && echo "$l"
  done
  ls -d /var/lib/cni/results/"$NETNS"-* 2>/dev/null
  ls -d /var/lib/kubelet/device-plugins/kubelet.sock 2>/dev/null
}
remove_host_files() {
  host_files | xargs -r rm -f
  rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet /var/lib/cni/results /var/lib/cni /var/log/containers 2>/dev/null
}

drain
# Everything is thrown away: short grace periods, then SIGKILL.
stop kube-proxy coredns kubelet scheduler kcm -3
kill_tasks
stop containerd -5
kill_leftovers
stop apiserver -3
stop etcd -3
unmount_all
[ -e "$NSPATH" ] && ip netns delete "$NETNS"
remove_cgroups
remove_host_files
if [ -n "${INITBOX_KUBE_LOGS:-}" ] && [ -d "$LOGS" ]; then
  mkdir -p "$INITBOX_KUBE_LOGS" && cp -r "$LOGS/." "$INITBOX_KUBE_LOGS/"
fi
[ -z "$(our_mounts)" ] && rm -rf "$STATE"
rm -rf "$ETCD_DATA"

left=()
[ -e "$NSPATH" ] && left+=("network namespace $NETNS")
[ -e "$STATE" ] && left+=("$STATE (mounts: $(our_mounts | tr '\n' ' '))")
[ -n "$(pods_cgroups)" ] && left+=("cgroups: $(pods_cgroups | tr '\n' ' ')")
[ -n "$(shims)" ] && left+=("shims: $(shims | tr '\n' ' ')")
[ -n "$(host_files)" ] && left+=("files: $(host_files | tr '\n' ' ')")
if [ ${#left[@]} -gt 0 ]; then
  log "down: left behind: ${left[*]}"
  exit 1
fi
log "down after $(since "$T0")"
