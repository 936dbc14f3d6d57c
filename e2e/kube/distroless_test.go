package kube

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// distroless-probe.yaml: an init container copies /initbox into an
// emptyDir; the app (no shell, read-only root) runs it for its exec
// probes: readiness reads /health's body, which an httpGet probe cannot,
// liveness connects to a unix socket. The second init container waits for
// postgres:5432, whose pod starts later.
func TestDistrolessProbe(t *testing.T) {
	ns := clusterTest(t, "distroless")
	apply(t, ns, "apiVersion: v1\nkind: Service\nmetadata: {name: postgres}\nspec: {selector: {app: postgres}, ports: [{port: 5432}]}\n")
	apply(t, ns, example(t, "distroless-probe.yaml"))
	const app = "app=distroless-app"
	p := waitPods(t, ns, app, 3*time.Minute, "the copy done, waiting for postgres", all(1, func(p *pod) bool {
		return p.running("wait-for-db")
	}))[0]
	if e := p.exited("copy-initbox"); e == nil || e.ExitCode != 0 {
		t.Fatalf("copy-initbox did not exit 0: %s", p.summary())
	}
	waitLog(t, ns, p.Metadata.Name, "wait-for-db", 2*time.Minute, "target=tcp://postgres:5432")

	apply(t, ns, standinListener("postgres", 5432))
	p = waitPods(t, ns, app, 3*time.Minute, "Ready: the readiness probe found UP", all(1, (*pod).ready))[0]
	name, ip := p.Metadata.Name, p.Status.PodIP

	// The body, not the status, makes the pod ready: /health answers 200
	// with {"status":"DOWN"}.
	post(t, ip, "/down")
	waitPod(t, ns, name, 2*time.Minute, "not Ready: the body says DOWN", func(p *pod) bool { return p.condition("Ready") == "False" })
	post(t, ip, "/up")
	waitPod(t, ns, name, 2*time.Minute, "Ready again", (*pod).ready)

	// Without its admin socket the app is restarted by the liveness probe.
	post(t, ip, "/close-admin")
	p = waitPod(t, ns, name, 4*time.Minute, "app restarted, Ready", func(p *pod) bool {
		c := p.container("app")
		return c != nil && c.RestartCount > 0 && p.ready()
	})
	if c := p.container("app"); c.LastState.Terminated == nil {
		t.Errorf("the app's restart left no last state: %s", p.summary())
	}
	events := kubectl(t, "get", "events", "-n", ns, "--field-selector", "involvedObject.name="+name, "-o", "custom-columns=REASON:.reason,MESSAGE:.message")
	if !strings.Contains(events, "Liveness probe failed") {
		t.Errorf("no failed liveness probe among the pod's events:\n%s", events)
	}
}

// post sends an empty POST to the pod's app on port 8080.
func post(t *testing.T, ip, path string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Post("http://"+ip+":8080"+path, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
}
