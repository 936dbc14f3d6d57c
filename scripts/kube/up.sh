#!/usr/bin/env bash
# Brings up a real one-node Kubernetes for the tests, inside a network
# namespace of its own. Needs root.
#
#   scripts/kube/up.sh           control plane: etcd, kube-apiserver (RBAC,
#                                service-account tokens), kube-controller-manager
#   scripts/kube/up.sh --node    also the node: kube-scheduler, a containerd with
#                                CRI, kubelet, kube-proxy (nftables), CoreDNS as
#                                the cluster DNS, and the test images imported
#   scripts/kube/down.sh         stops everything by PID and removes it all
#
# Interface for tests:
# - Everything runs in the network namespace $INITBOX_KUBE_NETNS (default
#   initbox-kube), which up.sh creates: lo, and an interface kube0 with the
#   node address 10.200.0.2/24 (tests may add addresses to it). The service range 10.0.0.0/24 (API server at
#   10.0.0.1:443 from pods, cluster DNS at 10.0.0.10) and the pod range
#   10.244.0.0/24 exist only there. Nothing listens outside it.
# - When up.sh exits 0 the cluster is ready (readyz, controllers running, the
#   default ServiceAccount exists; with --node: node Ready, DNS answering) and
#   $STATE/env (STATE: $INITBOX_KUBE_STATE, default /run/initbox-kube) holds
#   one VAR=value a line, no quoting needed:
#     INITBOX_KUBE_NETNS, INITBOX_KUBE_STATE
#     INITBOX_KUBE_APISERVER   https://127.0.0.1:6443 (inside the namespace)
#     INITBOX_KUBE_CA          the CA that signed the API server's certificate
#     INITBOX_KUBE_ADMIN_CERT, INITBOX_KUBE_ADMIN_KEY  a system:masters client
#     INITBOX_KUBE_KUBECONFIG  the same as a kubeconfig
#     INITBOX_KUBE_KUBECTL     kubectl of the same version
#     INITBOX_KUBE_ETCD        etcd's client URL, and INITBOX_KUBE_ETCDCTL of the
#                              same version (etcdctl compact REV: 410 Gone)
#     INITBOX_KUBE_NODE_IP     10.200.0.2, the API server's advertised address
#     INITBOX_KUBE_RESTART_APISERVER  restart-apiserver.sh [restart|stop|start]
#     with --node also INITBOX_KUBE_NODE, INITBOX_KUBE_CONTAINERD (socket),
#     INITBOX_KUBE_DNS, INITBOX_KUBE_IMAGE_PAUSE, INITBOX_KUBE_IMAGE_BUSYBOX,
#     INITBOX_KUBE_IMPORT (image.sh: builds a FROM-scratch image and imports it)
# - Run a command (a go test) in the namespace with that environment:
#     scripts/kube/exec.sh go test ./checks -run K8s
#   (no network there: Go modules must be downloaded beforehand).
# - Idempotent: when the cluster is already up (with the node if asked) it
#   says so and exits 0; a half-up cluster is torn down and started afresh.
#   Any failure tears down what was started and exits 1.
# - INITBOX_KUBE_APISERVER_ARGS adds flags to kube-apiserver (space-separated).
# - Binaries come from build.sh (cached; cold build 6-12 min), etcd too, at
#   the version Kubernetes requires.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

node=0
for a in "$@"; do
  case $a in
  --node) node=1 ;;
  *) die "usage: up.sh [--node]" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "up.sh needs root (network namespace, kubelet)"

already_up() {
  [ -f "$STATE/env" ] && alive etcd && alive apiserver && alive kcm || return 1
  api /readyz >/dev/null 2>&1 || return 1
  [ "$node" = 0 ] && return 0
  grep -q '^INITBOX_KUBE_NODE=' "$STATE/env" && alive containerd && alive kubelet &&
    alive kube-proxy && alive coredns && alive scheduler
}
if already_up; then
  log "already up ($STATE/env)"
  exit 0
fi
if [ -e "$STATE" ] || [ -e "$NSPATH" ]; then
  log "a previous cluster is (partly) there: tearing it down first"
  "$KUBE_SCRIPTS/down.sh"
fi

T0=$(date +%s)
trap 'rc=$?; if [ $rc -ne 0 ]; then log "up failed (exit $rc): tearing down"; "$KUBE_SCRIPTS/down.sh" || true; fi' EXIT

"$KUBE_SCRIPTS/deps.sh"
bin=$("$KUBE_SCRIPTS/build.sh")
mkdir -p "$STATE" "$PIDS" "$LOGS"
echo "$bin" >"$STATE/bin"

# The namespace: its lo, and the node address on kube0, one end of a veth
# pair whose both ends stay in the namespace (the kernel may lack the dummy
# driver). Traffic to any address not in the namespace is unreachable; the
# service range needs a route of its own, since the namespace's own packets
# are routed before kube-proxy's rules translate their destination.
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
ip -n "$NETNS" link add kube0 type veth peer name kube0p
ip -n "$NETNS" addr add "$NODE_IP/$NODE_CIDR" dev kube0
ip -n "$NETNS" link set kube0p up
ip -n "$NETNS" link set kube0 up
ip -n "$NETNS" route add unreachable default
ip -n "$NETNS" route add "$SERVICE_CIDR" dev kube0

"$KUBE_SCRIPTS/pki.sh"
log "namespace $NETNS and PKI ready after $(since "$T0")"

rm -rf "$ETCD_DATA"
start etcd "$bin/etcd" --name initbox-kube --data-dir "$ETCD_DATA" --unsafe-no-fsync \
  --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster initbox-kube=http://127.0.0.1:2380 --log-level warn

# The API server's command line is kept so that restart-apiserver.sh starts
# the very same server.
{
  echo "$bin/kube-apiserver"
  echo "--etcd-servers=$ETCD_URL"
  echo "--bind-address=0.0.0.0"
  echo "--secure-port=$APISERVER_PORT"
  echo "--advertise-address=$NODE_IP"
  echo "--tls-cert-file=$PKI/apiserver.crt"
  echo "--tls-private-key-file=$PKI/apiserver.key"
  echo "--client-ca-file=$PKI/ca.crt"
  echo "--service-account-issuer=https://kubernetes.default.svc.cluster.local"
  echo "--service-account-key-file=$PKI/sa.pub"
  echo "--service-account-signing-key-file=$PKI/sa.key"
  echo "--authorization-mode=Node,RBAC"
  echo "--enable-admission-plugins=NodeRestriction"
  echo "--service-cluster-ip-range=$SERVICE_CIDR"
  echo "--kubelet-client-certificate=$PKI/apiserver-kubelet-client.crt"
  echo "--kubelet-client-key=$PKI/apiserver-kubelet-client.key"
  echo "--kubelet-preferred-address-types=InternalIP"
  echo "--profiling=false"
  for a in ${INITBOX_KUBE_APISERVER_ARGS:-}; do echo "$a"; done
} >"$STATE/apiserver.args"
WATCH=etcd until_ok 60 "etcd health" inns curl -sf "$ETCD_URL/health"
start_apiserver
WATCH=apiserver until_ok 180 "kube-apiserver /readyz" api /readyz
log "kube-apiserver ready after $(since "$T0")"

start kcm "$bin/kube-controller-manager" --kubeconfig="$PKI/kcm.kubeconfig" \
  --authentication-kubeconfig="$PKI/kcm.kubeconfig" --authorization-kubeconfig="$PKI/kcm.kubeconfig" \
  --use-service-account-credentials=true --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" --leader-elect=false --bind-address=127.0.0.1 \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
WATCH=kcm until_ok 180 "kube-controller-manager /healthz" inns curl -skf https://127.0.0.1:10257/healthz
# The controllers are running once the default ServiceAccount and the root
# CA ConfigMap exist: tests that ask for tokens or mount them need both.
WATCH=kcm until_ok 180 "the default ServiceAccount" api /api/v1/namespaces/default/serviceaccounts/default
WATCH=kcm until_ok 180 "the kube-root-ca.crt ConfigMap" api /api/v1/namespaces/default/configmaps/kube-root-ca.crt
log "control plane ready after $(since "$T0")"

write_env() {
  {
    echo "INITBOX_KUBE_NETNS=$NETNS"
    echo "INITBOX_KUBE_STATE=$STATE"
    echo "INITBOX_KUBE_APISERVER=$APISERVER"
    echo "INITBOX_KUBE_CA=$PKI/ca.crt"
    echo "INITBOX_KUBE_ADMIN_CERT=$PKI/admin.crt"
    echo "INITBOX_KUBE_ADMIN_KEY=$PKI/admin.key"
    echo "INITBOX_KUBE_KUBECONFIG=$PKI/admin.kubeconfig"
    echo "INITBOX_KUBE_KUBECTL=$bin/kubectl"
    echo "INITBOX_KUBE_ETCD=$ETCD_URL"
    echo "INITBOX_KUBE_ETCDCTL=$bin/etcdctl"
    echo "INITBOX_KUBE_NODE_IP=$NODE_IP"
    echo "INITBOX_KUBE_RESTART_APISERVER=$KUBE_SCRIPTS/restart-apiserver.sh"
    [ "$node" = 0 ] || node_env
  } >"$STATE/env.tmp"
  mv "$STATE/env.tmp" "$STATE/env"
}

if [ "$node" = 1 ]; then
  . "$KUBE_SCRIPTS/node.sh"
  node_up
fi
write_env
log "up after $(since "$T0"): $STATE/env"
