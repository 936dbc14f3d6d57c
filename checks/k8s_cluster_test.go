package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Kubernetes tests run against the real control plane that
// scripts/kube/up.sh starts in its own network namespace; scripts/test.sh
// runs them there through scripts/kube/exec.sh with INITBOX_REQUIRE_KUBE=1
// (and leaves them out of its unit stage), which makes a missing cluster a
// failure, as CI=true does. Elsewhere they skip, loudly.

// cluster is an admin's view of the test cluster.
type cluster struct {
	server string
	caFile string
	http   *http.Client
	env    map[string]string
}

func testCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("a real Kubernetes control plane: not under -short")
	}
	server := os.Getenv("INITBOX_KUBE_APISERVER")
	if server == "" {
		msg := "no Kubernetes control plane: run scripts/kube/up.sh, then this test through scripts/kube/exec.sh"
		if os.Getenv("INITBOX_REQUIRE_KUBE") != "" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cert, err := tls.LoadX509KeyPair(os.Getenv("INITBOX_KUBE_ADMIN_CERT"), os.Getenv("INITBOX_KUBE_ADMIN_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := certPoolFile(os.Getenv("INITBOX_KUBE_CA"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "INITBOX_KUBE_") {
			env[k] = v
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}
	return &cluster{server: server, caFile: os.Getenv("INITBOX_KUBE_CA"), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, env: env}
}

// do sends one admin request and decodes the answer into out (if not nil).
func (c *cluster) do(t *testing.T, method, path, ctype string, body any, out any) error {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				t.Fatal(err)
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype == "" {
		ctype = "application/json"
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *cluster) must(t *testing.T, method, path string, body any) obj {
	t.Helper()
	var out obj
	if err := c.do(t, method, path, "", body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// create posts an object given as JSON text to a collection path.
func (c *cluster) create(t *testing.T, path, js string) obj {
	t.Helper()
	return c.must(t, "POST", path, []byte(js))
}

// patchStatus merge-patches an object's status, as a kubelet or a
// controller writes it.
func (c *cluster) patchStatus(t *testing.T, path, js string) {
	t.Helper()
	if err := c.do(t, "PATCH", path+"/status", "application/merge-patch+json", []byte(js), nil); err != nil {
		t.Fatal(err)
	}
}

// namespace creates a namespace of its own for a test, and removes it after.
func (c *cluster) namespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	name = fmt.Sprintf("%.40s-%d", name, time.Now().UnixNano()%1e6)
	c.create(t, "/api/v1/namespaces", `{"metadata":{"name":"`+name+`"}}`)
	t.Cleanup(func() { c.do(t, "DELETE", "/api/v1/namespaces/"+name, "", nil, nil) })
	c.create(t, "/api/v1/namespaces/"+name+"/serviceaccounts", `{"metadata":{"name":"waiter"}}`)
	// Pods need the default ServiceAccount, which the controller manager
	// may be slow to create after an API server restart: make it here
	// (a conflict with the controller's is fine).
	c.do(t, "POST", "/api/v1/namespaces/"+name+"/serviceaccounts", "", []byte(`{"metadata":{"name":"default"}}`), nil)
	return name
}

// grant lets the waiter service account get, list and watch resource.
func (c *cluster) grant(t *testing.T, ns, group, resource string) {
	t.Helper()
	role := fmt.Sprintf(`{"metadata":{"name":"w-%s"},"rules":[{"apiGroups":[%q],"resources":[%q],"verbs":["get","list","watch"]}]}`, resource, group, resource)
	c.create(t, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/roles", role)
	binding := fmt.Sprintf(`{"metadata":{"name":"w-%s"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"w-%s"},"subjects":[{"kind":"ServiceAccount","name":"waiter","namespace":%q}]}`, resource, resource, ns)
	c.create(t, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/rolebindings", binding)
}

// token asks the TokenRequest API for a waiter token, bound to the pod
// holder when it is not empty (deleting that pod revokes the token).
func (c *cluster) token(t *testing.T, ns, holder string) string {
	t.Helper()
	spec := `{"spec":{"expirationSeconds":3600}}`
	if holder != "" {
		p := c.must(t, "GET", "/api/v1/namespaces/"+ns+"/pods/"+holder, nil)
		spec = fmt.Sprintf(`{"spec":{"expirationSeconds":3600,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":%q,"uid":%q}}}`, holder, str(p, "metadata", "uid"))
	}
	tr := c.create(t, "/api/v1/namespaces/"+ns+"/serviceaccounts/waiter/token", spec)
	return str(tr, "status", "token")
}

// serviceAccount writes the files a pod's service account mount holds and
// returns options that use them, as the CLI builds them in a pod.
func (c *cluster) serviceAccount(t *testing.T, ns, token string) (KubeOptions, string) {
	t.Helper()
	dir := t.TempDir()
	ca, err := os.ReadFile(c.caFile)
	if err != nil {
		t.Fatal(err)
	}
	writeKubeFile(t, dir, "ca.crt", string(ca))
	writeKubeFile(t, dir, "namespace", ns)
	writeKubeFile(t, dir, "token", token)
	return KubeOptions{InClusterServer: c.server, ServiceAccountDir: dir, ForbiddenGrace: 500 * time.Millisecond}, filepath.Join(dir, "token")
}

// waiterFor sets up a namespace whose waiter may read the resources given
// as "group/resource" and returns its namespace and options.
func (c *cluster) waiterFor(t *testing.T, resources ...string) (string, KubeOptions) {
	t.Helper()
	ns := c.namespace(t)
	for _, r := range resources {
		g, res, _ := strings.Cut(r, "/")
		c.grant(t, ns, g, res)
	}
	o, _ := c.serviceAccount(t, ns, c.token(t, ns, ""))
	return ns, o
}

// waitRun is a wait in progress, with the states it reported.
type waitRun struct {
	mu     sync.Mutex
	events []Event
	done   chan error
	cancel context.CancelFunc
}

// startWait waits for target in the background, for at most limit.
func startWait(t *testing.T, target string, o KubeOptions, limit time.Duration) *waitRun {
	t.Helper()
	c, err := Parse(target, Options{Kube: o})
	if err != nil {
		t.Fatal(err)
	}
	r := &waitRun{done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	r.cancel = cancel
	t.Cleanup(cancel)
	w := &Waiter{OnChange: func(e Event) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
		t.Logf("%s: ready=%v %v %s", e.Target, e.Ready, e.Err, e.Detail)
	}}
	go func() { r.done <- w.Wait(ctx, []Checker{c}) }()
	return r
}

// result waits for the wait to end.
func (r *waitRun) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(3 * time.Minute):
		t.Fatal("the wait did not end")
		return nil
	}
}

// succeeds waits for the wait to end, and fails the test unless it ended
// ready.
func (r *waitRun) succeeds(t *testing.T) {
	t.Helper()
	if err := r.result(t); err != nil {
		t.Fatal(err)
	}
}

// errs is the errors of the events reported so far.
func (r *waitRun) errs() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, e := range r.events {
		if e.Err != nil {
			errs = append(errs, e.Err)
		}
	}
	return errs
}

// until blocks until a reported state matches, and returns it.
func (r *waitRun) until(t *testing.T, match func(Event) bool) Event {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.events {
			if match(e) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("the wait ended (%v) before the state looked for", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("the state looked for was never reported")
	return Event{}
}

func stateIs(s string) func(Event) bool {
	return func(e Event) bool { return e.Err != nil && strings.Contains(e.Err.Error(), s) }
}

// eventually retries f until it succeeds, for what controllers do in
// their own time.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = f(); err == nil {
			return
		}
	}
	t.Fatalf("%s: %v", what, err)
}
