#!/usr/bin/env bash
# Installs, from Debian's packages and when missing, what the cluster of
# scripts/kube/up.sh runs besides the binaries build.sh makes: a second
# containerd with its CRI plugin, runc, the CNI plugins, nft for kube-proxy,
# busybox-static for the test images, openssl for the PKI. None of them is
# started as a system service; up.sh starts its own instances. (Debian's
# etcd 3.4 is too old for Kubernetes 1.37: build.sh builds etcd.)
set -euo pipefail

need=()
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] ||
  need+=(containernetworking-plugins)
command -v nft >/dev/null || need+=(nftables)
command -v busybox >/dev/null || need+=(busybox-static)
command -v dig >/dev/null || need+=(bind9-dnsutils) # the dig loop of e2e/kube's seeds
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
command -v nsenter >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
command -v flock >/dev/null || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0
exec "$(dirname "$0")/../apt-install.sh" "${need[@]}"
