package kube

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// native-sidecar.yaml in full (TestNativeSidecar covers the start with the
// dependencies missing): deps, an init container with restartPolicy:
// Always, runs initbox serve. Its startupProbe (/startupz) holds back the next init
// container (migrate) and the app until every dependency has been ready;
// its readinessProbe (/readyz) takes the pod out of Ready while one is down,
// and back once it returns, without a restart.
//
// The suite has no PostgreSQL or Redis image: their targets become tcp://
// checks of stand-ins that listen on the same ports, and catalog is a
// stand-in serving files.
func TestNativeSidecarFollowsDependencies(t *testing.T) {
	ns := clusterTest(t, "sidecar-deps")
	apply(t, ns, `apiVersion: v1
kind: Secret
metadata: {name: shop-db}
stringData: {password: s3cr3t}
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec: {selector: {app: postgres}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: redis}
spec: {selector: {app: redis}, ports: [{port: 6379}]}
---
apiVersion: v1
kind: Service
metadata: {name: catalog}
spec: {selector: {app: catalog}, ports: [{port: 80}]}
`)
	apply(t, ns, example(t, "native-sidecar.yaml",
		"replicas: 2", "replicas: 1",
		"postgres://shop@postgres:5432/shop", "tcp://postgres:5432",
		"redis://redis:6379", "tcp://redis:6379",
		"http://catalog/healthz", "http://catalog/",
		"http://catalog/schema.sql", "http://catalog/standin",
	))
	const app = "app=shop"
	p := waitPods(t, ns, app, 3*time.Minute, "deps serving, its dependencies down", all(1, func(p *pod) bool {
		return p.running("deps")
	}))[0]
	name := p.Metadata.Name
	waitLog(t, ns, name, "deps", 2*time.Minute, "msg=serving", `msg="not ready" target=tcp://postgres:5432`)
	// The startup probe fails while the dependencies are down: migrate
	// must not have started.
	time.Sleep(5 * time.Second)
	p = waitPod(t, ns, name, time.Minute, "the pod", func(*pod) bool { return true })
	if m := p.container("migrate"); m != nil && (m.State.Running != nil || m.State.Terminated != nil) {
		t.Fatalf("migrate started before deps' startup probe passed: %s", p.summary())
	}

	for _, dep := range []string{"postgres:5432", "redis:6379"} {
		app, port, _ := strings.Cut(dep, ":")
		apply(t, ns, standinPod(app, "listen", "-addr", ":"+port))
	}
	apply(t, ns, standinPod("catalog", "static", "-dir", "/", "-addr", ":80"))
	p = waitPod(t, ns, name, 4*time.Minute, "Ready: migrate done, the app running", (*pod).ready)
	if e := p.exited("migrate"); e == nil || e.ExitCode != 0 {
		t.Fatalf("migrate did not exit 0: %s", p.summary())
	}

	// Redis goes away: the pod leaves Ready, and the probe says why.
	kubectl(t, "delete", "pod", "-n", ns, "redis", "--wait=true")
	waitPod(t, ns, name, 2*time.Minute, "not Ready while redis is down", func(p *pod) bool {
		return p.condition("Ready") == "False"
	})
	waitLog(t, ns, name, "deps", time.Minute, `msg="not ready" target=tcp://redis:6379`)
	if events, ok := probeEvent(t, ns, name, "Readiness probe failed", "tcp://redis:6379"); !ok {
		// The kubelet sends at most 25 events an object, then one every
		// 5 minutes: startup-probe failures may have spent them all.
		if n := eventCount(t, ns, name); n < 25 {
			t.Errorf("no failed readiness probe naming redis among the pod's %d events:\n%s", n, events)
		} else {
			t.Logf("the pod's %d events spent the kubelet's budget of 25; the readiness event could not be sent", n)
		}
	}

	apply(t, ns, standinPod("redis", "listen", "-addr", ":6379"))
	p = waitPod(t, ns, name, 2*time.Minute, "Ready again once redis is back", (*pod).ready)
	if c := p.container("deps"); c == nil || c.RestartCount != 0 {
		t.Errorf("deps restarted: %s", p.summary())
	}
}

// standinPod is a pod labelled app=name running the stand-in in mode.
func standinPod(name, mode string, args ...string) string {
	quoted := []string{mode}
	for _, a := range args {
		quoted = append(quoted, `"`+a+`"`)
	}
	return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, labels: {app: ` + name + `}}
spec:
  containers:
  - name: ` + name + `
    image: ` + imageStandin + `
    args: [` + strings.Join(quoted, ", ") + `]
`
}

// TestTerminationMessage: a failing init container's termination message,
// as the kubelet keeps it in the pod's status, says what initbox's log
// said: which target was not ready and why.
func TestTerminationMessage(t *testing.T) {
	ns := clusterTest(t, "termlog")
	apply(t, ns, `apiVersion: v1
kind: Pod
metadata: {name: waits, labels: {app: waits}}
spec:
  restartPolicy: Never
  initContainers:
  - name: wait-for-db
    image: `+imageInitbox+`
    args: ["wait", "--timeout=3s", "tcp://db:5432", "http://app:s3cr3t@127.0.0.1:1/ready"]
  containers:
  - name: app
    image: `+imageStandin+`
    args: [serve]
`)
	p := waitPod(t, ns, "waits", 3*time.Minute, "wait-for-db ended", func(p *pod) bool {
		return p.exited("wait-for-db") != nil
	})
	e := p.exited("wait-for-db")
	if e.ExitCode != 124 {
		t.Fatalf("wait-for-db exited %d, want 124: %s", e.ExitCode, p.summary())
	}
	for _, want := range []string{"timed out elapsed=3", "not ready target=tcp://db:5432 attempts=", "lookup db", "http://app:xxxxx@127.0.0.1:1/ready"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("termination message lacks %q:\n%s", want, e.Message)
		}
	}
	if strings.Contains(e.Message, "s3cr3t") {
		t.Errorf("termination message shows the password:\n%s", e.Message)
	}
}

// probeEvent waits up to a minute for the pod's events to hold every one
// of want. The kubelet sends events in the background, and
// after ten probe failures it folds the rest into one "combined from
// similar events" whose message is the latest: on a busy node the event
// sought may land a little after the state it explains.
func probeEvent(t *testing.T, ns, pod string, want ...string) (string, bool) {
	t.Helper()
	var events string
	for end := time.Now().Add(time.Minute); ; time.Sleep(2 * time.Second) {
		events = kubectl(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.name="+pod, "-o", "custom-columns=MESSAGE:.message")
		if containsAll(events, want) {
			return events, true
		}
		if time.Now().After(end) {
			return events, false
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// eventCount is how many events the kubelet sent about the pod, repeats
// included.
func eventCount(t *testing.T, ns, pod string) int {
	t.Helper()
	out := kubectl(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.name="+pod, "-o", `jsonpath={range .items[*]}{.count}{"\n"}{end}`)
	n := 0
	for _, f := range strings.Fields(out) {
		c, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("event count %q: %v", f, err)
		}
		n += max(c, 1)
	}
	return n
}
