package kube

import (
	"strings"
	"testing"
	"time"
)

// native-sidecar.yaml, in part: initbox serve runs as a native sidecar
// and its startupProbe holds back the next init container and the app
// while the dependencies are missing. Its dependencies reaching ready
// (a real PostgreSQL login and Redis PING behind Services) is not run
// here yet.
func TestNativeSidecar(t *testing.T) {
	requireCluster(t)
	t.Parallel()
	ns := newNamespace(t, "sidecar")
	apply(t, ns, "apiVersion: v1\nkind: Secret\nmetadata: {name: shop-db}\nstringData: {password: s3cret}\n")
	apply(t, ns, example(t, "native-sidecar.yaml"))
	const app = "app=shop"
	pods := waitPods(t, ns, app, 3*time.Minute, "the sidecars running", all(2, func(p *pod) bool { return p.running("deps") }))
	// Its startup probe fails while postgres, redis and catalog are
	// missing; the kubelet says so in events.
	name := pods[0].Metadata.Name
	deadline := time.Now().Add(3 * time.Minute)
	for {
		events := kubectl(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.name="+name, "-o", "custom-columns=REASON:.reason,MESSAGE:.message")
		if strings.Contains(events, "Startup probe failed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed startup probe among the events of %s:\n%s", name, events)
		}
		time.Sleep(time.Second)
	}
	for _, p := range waitPods(t, ns, app, time.Minute, "the pods", all(2, func(*pod) bool { return true })) {
		if p.running("migrate") || p.exited("migrate") != nil || p.running("shop") || p.ready() {
			t.Errorf("%s went on with its dependencies missing: %s", p.Metadata.Name, p.summary())
		}
	}
}
