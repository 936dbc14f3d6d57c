#!/usr/bin/env bash
# Makes the cluster's throwaway PKI in $PKI (see lib.sh): a CA, the API
# server's serving certificate, one client certificate per component, the
# service-account signing key and a kubeconfig per client. ECDSA P-256 keys:
# generated in milliseconds even on a loaded machine.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rm -rf "$PKI"
mkdir -p "$PKI"
cd "$PKI"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

key ca
openssl req -x509 -new -key ca.key -out ca.crt -days 365 -subj "/CN=initbox-kube-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
key sa
openssl pkey -in sa.key -pubout -out sa.pub

# cert NAME SUBJECT EKU [SANS]
cert() {
  key "$1"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "$2"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    [ -z "${4:-}" ] || echo "subjectAltName=$4"
  } >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
    -out "$1.crt" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

svc=kubernetes.default.svc
cert apiserver "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1,IP:$APISERVER_SERVICE_IP,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:$svc,DNS:$svc.cluster.local"
cert admin "/O=system:masters/CN=initbox-kube-admin" clientAuth
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
cert kcm "/CN=system:kube-controller-manager" clientAuth
cert scheduler "/CN=system:kube-scheduler" clientAuth
cert node "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
cert kubelet "/CN=$NODE_NAME" serverAuth "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME"
cert kube-proxy "/CN=system:kube-proxy" clientAuth
cert coredns "/CN=system:coredns" clientAuth

# kubeconfig NAME: a kubeconfig for the client certificate NAME.
kubeconfig() {
  cat >"$1.kubeconfig" <<K
apiVersion: v1
kind: Config
clusters:
- name: initbox-kube
  cluster: {server: "$APISERVER", certificate-authority: $PKI/ca.crt}
users:
- name: $1
  user: {client-certificate: $PKI/$1.crt, client-key: $PKI/$1.key}
contexts:
- name: initbox-kube
  context: {cluster: initbox-kube, user: $1}
current-context: initbox-kube
K
}
for c in admin kcm scheduler node kube-proxy coredns; do kubeconfig "$c"; done
chmod 0644 ca.crt
