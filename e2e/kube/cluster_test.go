package kube

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cluster talks to the API server as its admin: plain REST for reads and
// watches, kubectl for applying manifests and reading logs.
type cluster struct {
	api        string
	client     *http.Client
	kubectl    string
	kubeconfig string
	node       string
	nodeIP     string
}

func newCluster() (*cluster, error) {
	ca, err := os.ReadFile(os.Getenv("INITBOX_KUBE_CA"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("INITBOX_KUBE_CA holds no certificate")
	}
	cert, err := tls.LoadX509KeyPair(os.Getenv("INITBOX_KUBE_ADMIN_CERT"), os.Getenv("INITBOX_KUBE_ADMIN_KEY"))
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}
	return &cluster{
		api:        os.Getenv("INITBOX_KUBE_APISERVER"),
		client:     &http.Client{Transport: tr},
		kubectl:    os.Getenv("INITBOX_KUBE_KUBECTL"),
		kubeconfig: os.Getenv("INITBOX_KUBE_KUBECONFIG"),
		node:       os.Getenv("INITBOX_KUBE_NODE"),
		nodeIP:     os.Getenv("INITBOX_KUBE_NODE_IP"),
	}, nil
}

// do sends one request and returns the body of a 2xx answer.
func (c *cluster) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if method == http.MethodPatch {
		req.Header.Set("Content-Type", "application/merge-patch+json")
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: status %d: %.300s", method, path, resp.StatusCode, b)
	}
	return b, nil
}

func (c *cluster) get(ctx context.Context, path string, v any) error {
	b, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// watch streams the events of a watch on path (a list path with its
// selectors) to fn until fn returns true or an error, reconnecting when
// the server ends the watch. Without a resourceVersion every (re)connect
// begins with an ADDED event for each existing object, so fn sees the
// current state first.
func (c *cluster) watch(ctx context.Context, path string, fn func(typ string, obj json.RawMessage) (bool, error)) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for {
		done, err := c.watchOnce(ctx, path+sep+"watch=1&timeoutSeconds=60", fn)
		var fatal fatalError
		if done || errors.As(err, &fatal) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last watch error: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// fatalError is what a watch callback returns to stop the watch at once.
type fatalError struct{ error }

func (c *cluster) watchOnce(ctx context.Context, path string, fn func(string, json.RawMessage) (bool, error)) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+path, nil)
	if err != nil {
		return false, fatalError{err}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return false, fmt.Errorf("watch %s: status %d: %s", path, resp.StatusCode, b)
	}
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	for {
		var ev struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := dec.Decode(&ev); err != nil {
			return false, err
		}
		if ev.Type == "ERROR" || ev.Type == "BOOKMARK" {
			continue
		}
		done, err := fn(ev.Type, ev.Object)
		if done || err != nil {
			return done, err
		}
	}
}

// kubectl runs kubectl as the admin with stdin, returning its stdout.
func (c *cluster) kubectlIn(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.kubectl, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// apply applies manifests to namespace ns, failing the test on error.
func apply(t *testing.T, ns, manifests string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := cl.kubectlIn(ctx, manifests, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("applying to %s: %v\n%s", ns, err, manifests)
	}
}

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := cl.kubectlIn(ctx, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newNamespace makes a namespace for one test and removes it afterwards;
// when the test failed, it first logs what the namespace's pods did.
// It returns once the namespace's default ServiceAccount exists: pods are
// refused until then.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	ns := prefix + "-" + hex.EncodeToString(b)
	kubectl(t, "create", "namespace", ns)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			out, _ := cl.kubectlIn(ctx, "", "describe", "pods", "-n", ns)
			t.Logf("pods of %s:\n%s", ns, out)
			logAll(ctx, t, ns)
		}
		if _, err := cl.kubectlIn(ctx, "", "delete", "namespace", ns, "--wait=false"); err != nil {
			t.Logf("removing namespace: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	for cl.get(ctx, "/api/v1/namespaces/"+ns+"/serviceaccounts/default", &struct{}{}) != nil {
		select {
		case <-ctx.Done():
			t.Fatalf("the default ServiceAccount of %s did not appear", ns)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return ns
}

// logAll logs every container's log in ns, the previous run's too.
func logAll(ctx context.Context, t *testing.T, ns string) {
	var pods podList
	if err := cl.get(ctx, "/api/v1/namespaces/"+ns+"/pods", &pods); err != nil {
		t.Logf("listing pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		for _, c := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			out, err := cl.kubectlIn(ctx, "", "logs", "-n", ns, p.Metadata.Name, "-c", c.Name)
			t.Logf("log of %s/%s (err %v):\n%s", p.Metadata.Name, c.Name, err, out)
		}
	}
}
