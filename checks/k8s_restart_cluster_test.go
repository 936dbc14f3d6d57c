package checks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// These tests restart the API server: they run last (files run in name
// order), so that the controller manager's slow recovery from the restart
// does not hold up the tests that need its controllers.

// TestK8sAPIServerRestarted: the API server restarts mid-watch; the waiter
// reconnects (relisting if its version is gone) and sees the change made
// after, without calling the brief refusals of a starting server an RBAC
// error.
func TestK8sAPIServerRestarted(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "/pods")
	o.ForbiddenGrace = 0 // the default
	c.createPod(t, ns, "db-0", "")
	w := startWait(t, "k8s://pod/db-0", o, 3*time.Minute)
	w.until(t, stateIs("Pending, not ready"))
	restart(t, c, "restart")
	node := c.node(t)
	c.podReady(t, ns, "db-0", node, true)
	w.succeeds(t)
	for _, err := range w.errs() {
		if errors.As(err, new(*KubeAccessError)) {
			t.Errorf("an RBAC error was reported across the restart: %v", err)
		}
	}
}

func restart(t *testing.T, c *cluster, how string) {
	t.Helper()
	script := c.env["INITBOX_KUBE_RESTART_APISERVER"]
	if script == "" {
		t.Fatal("INITBOX_KUBE_RESTART_APISERVER is not set")
	}
	out, err := exec.Command(script, how).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, how, err, out)
	}
}

// TestK8sWatchExpired: while the API server is down, etcd moves on (a
// write, then a compaction); the restarted server's watch cache starts
// past the waiter's version, so the resumed watch gets 410 Gone and the
// waiter lists again.
func TestK8sWatchExpired(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "/pods")
	c.createPod(t, ns, "db-0", "")
	k, err := Parse("k8s://pod/db-0", Options{Kube: o})
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{}, 10)
	k.(*Kube).onGone = func() { gone <- struct{}{} }
	listed := make(chan struct{}, 100)
	w := &Waiter{OnChange: func(e Event) {
		t.Logf("ready=%v %v", e.Ready, e.Err)
		listed <- struct{}{}
	}}
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	go func() { done <- w.Wait(ctx, []Checker{k}) }()
	<-listed
	time.Sleep(time.Second) // and watching
	restart(t, c, "stop")
	rev := c.etcd(t, "/v3/kv/put", `{"key":"`+b64("/initbox-test/advance")+`","value":"`+b64("x")+`"}`)
	c.etcd(t, "/v3/kv/compaction", `{"revision":"`+rev+`","physical":true}`)
	restart(t, c, "start")
	select {
	case <-gone:
	case err := <-done:
		t.Fatalf("the wait ended (%v) before any 410", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no 410 Gone was seen")
	}
	c.podReady(t, ns, "db-0", c.node(t), true)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// etcd posts to etcd's JSON gateway and returns the revision it answers.
func (c *cluster) etcd(t *testing.T, path, body string) string {
	t.Helper()
	resp, err := http.Post(c.env["INITBOX_KUBE_ETCD"]+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("etcd %s: %d %v", path, resp.StatusCode, err)
	}
	return out.Header.Revision
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
