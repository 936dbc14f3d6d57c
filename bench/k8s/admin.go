package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// admin drives the cluster with the admin certificate of scripts/kube.
type admin struct {
	server     string
	http       *http.Client
	kubeconfig string // the waiters' kubeconfig
}

func newAdmin() *admin {
	env := func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			fail(fmt.Errorf("%s is not set: run through scripts/kube/exec.sh", k))
		}
		return v
	}
	cert, err := tls.LoadX509KeyPair(env("INITBOX_KUBE_ADMIN_CERT"), env("INITBOX_KUBE_ADMIN_KEY"))
	fail(err)
	ca, err := os.ReadFile(env("INITBOX_KUBE_CA"))
	fail(err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}
	return &admin{server: env("INITBOX_KUBE_APISERVER"), http: &http.Client{Transport: tr, Timeout: time.Minute}}
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s bench:", err)
		os.Exit(1)
	}
}

func (c *admin) do(method, path, ctype, body string) []byte {
	req, err := http.NewRequest(method, c.server+path, strings.NewReader(body))
	fail(err)
	if ctype == "" {
		ctype = "application/json"
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.http.Do(req)
	fail(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 && method != "DELETE" {
		fail(fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b))
	}
	return b
}

// setup makes a namespace, a service account that may read pods there,
// a token for it and a kubeconfig that reads the token from a file.
func (c *admin) setup() string {
	ns := fmt.Sprintf("bench-%d", time.Now().UnixNano()%1e9)
	c.do("POST", "/api/v1/namespaces", "", `{"metadata":{"name":"`+ns+`"}}`)
	p := "/api/v1/namespaces/" + ns
	c.do("POST", p+"/serviceaccounts", "", `{"metadata":{"name":"waiter"}}`)
	r := "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns
	c.do("POST", r+"/roles", "", `{"metadata":{"name":"pods"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]}]}`)
	c.do("POST", r+"/rolebindings", "", `{"metadata":{"name":"pods"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pods"},"subjects":[{"kind":"ServiceAccount","name":"waiter","namespace":"`+ns+`"}]}`)
	var tr struct {
		Status struct{ Token string } `json:"status"`
	}
	fail(json.Unmarshal(c.do("POST", p+"/serviceaccounts/waiter/token", "", `{"spec":{"expirationSeconds":7200}}`), &tr))
	dir, err := os.MkdirTemp("", "k8s-bench")
	fail(err)
	fail(os.WriteFile(filepath.Join(dir, "token"), []byte(tr.Status.Token), 0o600))
	c.kubeconfig = filepath.Join(dir, "config")
	fail(os.WriteFile(c.kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: bench
contexts: [{name: bench, context: {cluster: c, user: u, namespace: %s}}]
clusters: [{name: c, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: u, user: {tokenFile: %q}}]
`, ns, c.server, os.Getenv("INITBOX_KUBE_CA"), filepath.Join(dir, "token"))), 0o600))
	return ns
}

func (c *admin) pod(ns, name string) {
	c.do("POST", "/api/v1/namespaces/"+ns+"/pods", "", `{"metadata":{"name":"`+name+`"},"spec":{"nodeName":"bench-node","containers":[{"name":"c","image":"busybox"}]}}`)
}

// ready writes the status a kubelet writes when the pod's probe passes.
func (c *admin) ready(ns, name string) {
	now := time.Now().UTC().Format(time.RFC3339)
	c.do("PATCH", "/api/v1/namespaces/"+ns+"/pods/"+name+"/status", "application/merge-patch+json",
		`{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"`+now+`"}]}}`)
}

// podRequests sums the API server's completed LIST and WATCH requests on
// pods, from its /metrics.
func (c *admin) podRequests() int64 {
	var n int64
	sc := bufio.NewScanner(strings.NewReader(string(c.do("GET", "/metrics", "", ""))))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "apiserver_request_total{") || !strings.Contains(l, `resource="pods"`) || (strings.Contains(l, `subresource="`) && !strings.Contains(l, `subresource=""`)) {
			continue
		}
		if !strings.Contains(l, `verb="LIST"`) && !strings.Contains(l, `verb="WATCH"`) {
			continue
		}
		f := strings.Fields(l)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		n += int64(v)
	}
	return n
}
