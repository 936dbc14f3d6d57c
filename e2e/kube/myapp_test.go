package kube

import (
	"strings"
	"testing"
	"time"
)

// myapp-pod.yaml: one initbox container waits for both Services at once,
// by their short names through the pod's search list; its log names the
// one still missing, and why (NXDOMAIN), until it exists.
func TestMyappPod(t *testing.T) {
	ns := clusterTest(t, "myapp")
	docs := documents(example(t, "myapp-pod.yaml"))
	apply(t, ns, docs["Pod/myapp-pod"])

	const init = "wait-for-services"
	waitPod(t, ns, "myapp-pod", 3*time.Minute, "its init container to run", func(p *pod) bool {
		return p.running(init)
	})
	waitLog(t, ns, "myapp-pod", init, 2*time.Minute,
		"target=dns://myservice", "target=dns://mydb", "NXDOMAIN for myservice."+ns+".svc.cluster.local")

	apply(t, ns, docs["Service/myservice"])
	// myservice resolves now; mydb does not, so the pod stays uninitialized.
	waitLog(t, ns, "myapp-pod", init, 2*time.Minute, "msg=ready target=dns://myservice")
	p := waitPod(t, ns, "myapp-pod", time.Minute, "still waiting", func(p *pod) bool { return true })
	if !p.running(init) || p.condition("Initialized") == "True" {
		t.Fatalf("with mydb missing the pod went on: %s", p.summary())
	}

	apply(t, ns, docs["Service/mydb"])
	p = waitPod(t, ns, "myapp-pod", 3*time.Minute, "Ready", (*pod).ready)
	if e := p.exited(init); e == nil || e.ExitCode != 0 {
		t.Fatalf("init container did not exit 0: %s", p.summary())
	}
	log := logs(t, ns, "myapp-pod", init)
	if !strings.Contains(log, "msg=ready target=dns://mydb") {
		t.Errorf("the log does not say mydb became ready:\n%s", log)
	}
}
