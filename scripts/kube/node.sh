# Sourced by up.sh for --node: kube-scheduler, a containerd of the cluster's
# own with CRI, the test images, kubelet, kube-proxy and CoreDNS, all in the
# cluster's network namespace. Expects lib.sh's names and up.sh's $bin.

SOCK=$STATE/containerd/containerd.sock
IMAGE_PAUSE=docker.io/initbox-kube/pause:1
IMAGE_BUSYBOX=docker.io/initbox-kube/busybox:1

node_env() {
  echo "INITBOX_KUBE_NODE=$NODE_NAME"
  echo "INITBOX_KUBE_CONTAINERD=$SOCK"
  echo "INITBOX_KUBE_DNS=$DNS_SERVICE_IP"
  echo "INITBOX_KUBE_IMAGE_PAUSE=$IMAGE_PAUSE"
  echo "INITBOX_KUBE_IMAGE_BUSYBOX=$IMAGE_BUSYBOX"
  echo "INITBOX_KUBE_IMPORT=$KUBE_SCRIPTS/image.sh"
}

node_up() {
  local t0 coredns
  t0=$(date +%s)
  coredns=$("$KUBE_SCRIPTS/build-coredns.sh")
  start_scheduler
  start_containerd
  import_images
  start_kubelet
  WATCH=kubelet until_ok 180 "node $NODE_NAME Ready" node_ready
  log "node Ready after $(since "$t0")"
  start_proxy
  start_coredns "$coredns"
  log "node, kube-proxy and DNS ready after $(since "$t0")"
}

start_scheduler() {
  start scheduler "$bin/kube-scheduler" --kubeconfig="$PKI/scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --profiling=false
  WATCH=scheduler until_ok 180 "kube-scheduler /healthz" inns curl -skf https://127.0.0.1:10259/healthz
}

start_containerd() {
  local d=$STATE/containerd
  mkdir -p "$d" "$STATE/cni/net.d" "$STATE/cni/ipam"
  # restrict_oom_score_adj: without CAP_SYS_RESOURCE the pause container's
  # oom_score_adj of -998 kills runc init. The netns of pods and runc's
  # state stay under $STATE, where down.sh finds them.
  cat >"$d/config.toml" <<T
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = "$d/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  sandbox_image = "$IMAGE_PAUSE"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$STATE/runc"
T
  # One bridge in the cluster's namespace; the pods' routes lead to it.
  cat >"$STATE/cni/net.d/10-initbox.conflist" <<C
{"cniVersion": "0.4.0", "name": "$NETNS", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$STATE/cni/ipam"}}]}
C
  start containerd containerd --config "$d/config.toml"
  WATCH=containerd until_ok 60 "containerd" ctr -a "$SOCK" version
}

# import_images builds the sandbox's pause image and a busybox image FROM
# scratch, out of host binaries.
import_images() {
  local d=$STATE/images
  mkdir -p "$d/pause" "$d/busybox/bin" "$d/busybox/tmp"
  (cd "$KUBE_SCRIPTS/pause" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$d/pause/pause" .)
  "$KUBE_SCRIPTS/image.sh" -u 65535:65535 "$IMAGE_PAUSE" "$d/pause" /pause >/dev/null
  cp "$(command -v busybox)" "$d/busybox/bin/busybox"
  local a
  for a in $(busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$d/busybox/bin/$a"
  done
  chmod 1777 "$d/busybox/tmp"
  "$KUBE_SCRIPTS/image.sh" "$IMAGE_BUSYBOX" "$d/busybox" >/dev/null
}

# make_cgroup_root creates the cgroup /$NETNS in every v1 hierarchy (and
# the v2 one), under which the kubelet puts its kubepods: the pods of two
# clusters on one machine, and down.sh's cleanup, stay apart. A new cpuset
# cgroup has no CPUs or memory nodes until given its parent's.
make_cgroup_root() {
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [ -e "$h/cgroup.procs" ] || continue
    mkdir -p "$h/$NETNS"
    if [ -e "$h/cpuset.cpus" ] && [ -e "$h/$NETNS/cpuset.cpus" ]; then
      cat "$h/cpuset.cpus" >"$h/$NETNS/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/$NETNS/cpuset.mems"
    fi
  done
}

start_kubelet() {
  local d=$STATE/kubelet
  mkdir -p "$d/root" "$d/logs"
  make_cgroup_root
  # Pods with dnsPolicy Default get the node's resolver: the cluster DNS.
  echo "nameserver $DNS_SERVICE_IP" >"$STATE/resolv.conf"
  # The host is cgroup v1 (failCgroupV1: false); images cannot be pulled
  # again, so image garbage collection never starts (100 %).
  cat >"$d/config.yaml" <<Y
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$NETNS
containerRuntimeEndpoint: unix://$SOCK
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
resolvConf: $STATE/resolv.conf
failSwapOn: false
podLogsDir: $d/logs
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
Y
  start kubelet "$bin/kubelet" --config="$d/config.yaml" --kubeconfig="$PKI/node.kubeconfig" \
    --root-dir="$d/root" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"
}

node_ready() {
  [ "$(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# kube-proxy makes the service range work: 10.0.0.1:443 is the API server,
# 10.0.0.10:53 the cluster DNS, from pods and from the namespace itself.
start_proxy() {
  start kube-proxy "$bin/kube-proxy" --kubeconfig="$PKI/kube-proxy.kubeconfig" \
    --proxy-mode=nftables --hostname-override="$NODE_NAME" --cluster-cidr="$POD_CIDR" \
    --metrics-bind-address=127.0.0.1:10249 --healthz-bind-address=127.0.0.1:10256 \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 \
    --conntrack-tcp-timeout-close-wait=0 --profiling=false
  WATCH=kube-proxy until_ok 120 "kube-proxy /healthz" inns curl -sf http://127.0.0.1:10256/healthz
}

# start_coredns runs CoreDNS as a process of the namespace, on the node
# address; the kube-dns Service (10.0.0.10) reaches it through an
# EndpointSlice of its own, as a real cluster's does through CoreDNS pods.
start_coredns() {
  local d=$STATE/coredns
  mkdir -p "$d"
  kc apply -f - >/dev/null <<Y
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_SERVICE_IP
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: initbox-kube}
addressType: IPv4
endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
Y
  # As kubeadm sets CoreDNS up (ttl 30, cache 30: a name is cached as
  # missing for up to 30 s after a lookup, also once its Service exists).
  # Names outside the cluster get NXDOMAIN, as from a real cluster's
  # upstream (this one has none; a SERVFAIL would be no real answer).
  cat >"$d/Corefile" <<C
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:8080
    ready 127.0.0.1:8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $PKI/coredns.kubeconfig initbox-kube
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
}
.:53 {
    bind $NODE_IP
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
C
  start coredns "$1" -conf "$d/Corefile"
  WATCH=coredns until_ok 120 "CoreDNS /ready" inns curl -sf http://127.0.0.1:8181/ready
  WATCH=coredns until_ok 120 "kubernetes.default through the DNS service" \
    inns busybox nslookup kubernetes.default.svc.cluster.local "$DNS_SERVICE_IP"
}
