// Package kube tests initbox under a real kubelet: every manifest in
// examples/kubernetes/ is applied to a real one-node cluster and checked
// against what its comments promise, and the busybox loops initbox replaces
// run beside their initbox lines, timed from the moment their dependency is
// ready to the moment their pod is.
//
// The cluster comes from scripts/kube/up.sh --node (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd, kubelet, kube-proxy,
// CoreDNS, all inside a network namespace of their own) and the tests run in
// that namespace with its variables (scripts/kube/exec.sh; scripts/kube/test.sh
// does all of it). Images are built FROM scratch here and imported into the
// node's containerd: initbox from this repository, and cmd/standin under the
// names of the examples' application images.
//
// Without a cluster the tests skip, saying so, unless CI=true or
// INITBOX_REQUIRE_SERVERS=1: then they fail.
package kube
