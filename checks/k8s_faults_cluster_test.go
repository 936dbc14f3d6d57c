package checks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// crd installs a namespaced custom resource "widgets" with a status
// subresource in group.
func (c *cluster) crd(t *testing.T, group string) {
	t.Helper()
	c.create(t, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", `{"metadata":{"name":"widgets.`+group+`"},"spec":{"group":"`+group+`","scope":"Namespaced",
		"names":{"plural":"widgets","singular":"widget","kind":"Widget"},
		"versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
		"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}`)
	t.Cleanup(func() {
		c.do(t, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets."+group, "", nil, nil)
	})
}

// TestK8sCustomResource: a resource not served yet is a clear "not
// installed", then its condition is waited for once it is.
func TestK8sCustomResource(t *testing.T) {
	c := testCluster(t)
	ns := c.namespace(t)
	group := fmt.Sprintf("t%d.initbox.test", time.Now().UnixNano()%1e9)
	o, _ := c.serviceAccount(t, ns, c.token(t, ns, ""))
	w := startWait(t, "k8s://widgets."+group+"/w1?condition=Ready", o, 2*time.Minute)
	w.until(t, stateIs("does not serve widgets."+group+": is its CustomResourceDefinition installed?"))
	c.crd(t, group)
	c.grant(t, ns, group, "widgets")
	path := "/apis/" + group + "/v1/namespaces/" + ns + "/widgets"
	eventually(t, "the CRD served", func() error { return c.do(t, "GET", path, "", nil, nil) })
	c.create(t, path, `{"apiVersion":"`+group+`/v1","kind":"Widget","metadata":{"name":"w1"}}`)
	w.until(t, stateIs("no Ready condition yet"))
	c.patchStatus(t, path+"/w1", `{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`)
	if err := w.result(t); err != nil {
		t.Fatal(err)
	}
}

func TestK8sDeleted(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "/configmaps")
	c.create(t, "/api/v1/namespaces/"+ns+"/configmaps", `{"metadata":{"name":"old"}}`)
	w := startWait(t, "k8s://configmap/old?for=delete", o, 2*time.Minute)
	w.until(t, stateIs("exists"))
	c.must(t, "DELETE", "/api/v1/namespaces/"+ns+"/configmaps/old", nil)
	if err := w.result(t); err != nil {
		t.Fatal(err)
	}
}

// TestK8sForbiddenThenGranted: with no permission, the wait says who may
// not do what and prints a grant; applying exactly that grant mid-wait
// lets the same wait succeed.
func TestK8sForbiddenThenGranted(t *testing.T) {
	c := testCluster(t)
	ns := c.namespace(t)
	o, _ := c.serviceAccount(t, ns, c.token(t, ns, ""))
	c.create(t, "/apis/batch/v1/namespaces/"+ns+"/jobs", `{"metadata":{"name":"migrate"},"spec":{"managedBy":"initbox.test/none","template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}`)
	w := startWait(t, "k8s://job/migrate", o, 2*time.Minute)
	ev := w.until(t, func(e Event) bool { return errors.As(e.Err, new(*KubeAccessError)) })
	var ae *KubeAccessError
	errors.As(ev.Err, &ae)
	want := "system:serviceaccount:" + ns + ":waiter may not list jobs.batch in namespace " + ns
	if !strings.Contains(ae.Error(), want) {
		t.Errorf("access error %q, want it to say %q", ae.Error(), want)
	}
	t.Logf("hint:\n%s", ae.Hint())
	c.apply(t, ae.Hint())
	w.until(t, stateIs("0/1 succeeded, 0 active"))
	now := time.Now().UTC().Format(time.RFC3339)
	c.patchStatus(t, "/apis/batch/v1/namespaces/"+ns+"/jobs/migrate", `{"status":{"startTime":"`+now+`","completionTime":"`+now+`","succeeded":1,
		"conditions":[{"type":"SuccessCriteriaMet","status":"True","lastTransitionTime":"`+now+`"},{"type":"Complete","status":"True","lastTransitionTime":"`+now+`"}]}}`)
	if err := w.result(t); err != nil {
		t.Fatal(err)
	}
}

// apply creates the objects of a YAML stream of RBAC objects.
func (c *cluster) apply(t *testing.T, stream string) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(stream))
	for {
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			break
		}
		meta := o["metadata"].(map[string]any)
		path := "/apis/rbac.authorization.k8s.io/v1/"
		if ns, ok := meta["namespace"].(string); ok {
			path += "namespaces/" + ns + "/"
		}
		path += strings.ToLower(o["kind"].(string)) + "s"
		c.must(t, "POST", path, o)
	}
}

// TestK8sTokenRotated: the token file is rewritten while waiting and the
// old token revoked; the watch is renewed with the new one.
func TestK8sTokenRotated(t *testing.T) {
	c := testCluster(t)
	ns := c.namespace(t)
	c.grant(t, ns, "", "pods")
	for _, h := range []string{"holder1", "holder2"} {
		c.create(t, "/api/v1/namespaces/"+ns+"/pods", `{"metadata":{"name":"`+h+`"},"spec":{"serviceAccountName":"waiter","containers":[{"name":"c","image":"busybox"}]}}`)
	}
	c.create(t, "/api/v1/namespaces/"+ns+"/pods", `{"metadata":{"name":"db-0"},"spec":`+podSpec+`}`)
	old := c.token(t, ns, "holder1")
	o, tokenFile := c.serviceAccount(t, ns, old)
	o.WatchTimeout = 3 * time.Second
	w := startWait(t, "k8s://pod/db-0", o, 2*time.Minute)
	w.until(t, stateIs("Pending, not ready"))
	writeKubeFile(t, strings.TrimSuffix(tokenFile, "/token"), "token", c.token(t, ns, "holder2"))
	c.must(t, "DELETE", "/api/v1/namespaces/"+ns+"/pods/holder1", nil)
	eventually(t, "the old token revoked", func() error {
		if code := c.statusAs(t, old, "/api/v1/namespaces/"+ns+"/pods"); code != 401 {
			return fmt.Errorf("the old token still gets %d", code)
		}
		return nil
	})
	time.Sleep(2 * o.WatchTimeout) // the watch is renewed, with the new token
	node := c.node(t)
	c.podReady(t, ns, "db-0", node, true)
	if err := w.result(t); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if e.Err != nil && (strings.Contains(e.Err.Error(), "401") || strings.Contains(e.Err.Error(), "refused")) {
			t.Errorf("a refusal was reported: %v", e.Err)
		}
	}
}

// TestK8sAPIServerRestarted: the API server restarts mid-watch; the waiter
// reconnects (relisting if its version is gone) and sees the change made
// after, without calling the brief refusals of a starting server an RBAC
// error.
func TestK8sAPIServerRestarted(t *testing.T) {
	c := testCluster(t)
	ns, o := c.waiterFor(t, "/pods")
	o.ForbiddenGrace = 0 // the default
	c.create(t, "/api/v1/namespaces/"+ns+"/pods", `{"metadata":{"name":"db-0"},"spec":`+podSpec+`}`)
	w := startWait(t, "k8s://pod/db-0", o, 3*time.Minute)
	w.until(t, stateIs("Pending, not ready"))
	restart(t, c, "restart")
	node := c.node(t)
	c.podReady(t, ns, "db-0", node, true)
	if err := w.result(t); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if errors.As(e.Err, new(*KubeAccessError)) {
			t.Errorf("an RBAC error was reported across the restart: %v", e.Err)
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
	c.create(t, "/api/v1/namespaces/"+ns+"/pods", `{"metadata":{"name":"db-0"},"spec":`+podSpec+`}`)
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

// statusAs is the status code of a GET made with a bearer token.
func (c *cluster) statusAs(t *testing.T, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", c.server+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	tr := c.http.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = nil
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
