package kube

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// init-demo.yaml: fetch writes the page into the emptyDir atomically and
// nginx serves it; an HTTP error or a failed TLS check is an error, never
// a saved error page; a restarted pod re-runs it safely. kubernetes.io is
// replaced by the suite's own HTTPS server, whose CA the image trusts.
func TestInitDemo(t *testing.T) {
	requireCluster(t)
	t.Parallel()
	t.Run("serves the page", testInitDemoServes)
	t.Run("HTTP error", func(t *testing.T) {
		t.Parallel()
		srv := startPageServer(t, true)
		testInitDemoFails(t, srv.url("/missing.html"), "404")
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		srv := startPageServer(t, false)
		testInitDemoFails(t, srv.url("/index.html"), "certificate signed by unknown authority")
	})
}

func initDemo(t *testing.T, url string) string {
	return example(t, "init-demo.yaml", "https://kubernetes.io", url)
}

func testInitDemoServes(t *testing.T) {
	t.Parallel()
	srv := startPageServer(t, true)
	ns := newNamespace(t, "init-demo")
	apply(t, ns, initDemo(t, srv.url("/index.html")))
	p := waitPod(t, ns, "init-demo", 3*time.Minute, "Ready", (*pod).ready)
	if e := p.exited("install"); e == nil || e.ExitCode != 0 {
		t.Fatalf("install did not exit 0: %s", p.summary())
	}
	body, modified := getPage(t, p.Status.PodIP)
	if body != srv.page {
		t.Fatalf("nginx serves %q, want the fetched page %q", body, srv.page)
	}

	// A new sandbox makes the kubelet run the init containers again.
	restarts := p.container("install").RestartCount
	killSandbox(t, ns, "init-demo")
	p = waitPod(t, ns, "init-demo", 3*time.Minute, "Ready after its sandbox was killed", func(p *pod) bool {
		c := p.container("install")
		return p.ready() && c != nil && c.RestartCount > restarts
	})
	if e := p.exited("install"); e == nil || e.ExitCode != 0 {
		t.Fatalf("install did not exit 0 the second time: %s", p.summary())
	}
	body2, modified2 := getPage(t, p.Status.PodIP)
	if body2 != body || modified2 != modified {
		t.Errorf("the re-run changed the page: %q (modified %s), was %q (modified %s)", body2, modified2, body, modified)
	}
	reqs := srv.requests()
	if len(reqs) != 2 || reqs[1] != "conditional 304" {
		t.Errorf("requests seen by the server: %q, want a download and a conditional request answered 304", reqs)
	}
}

// testInitDemoFails runs init-demo.yaml against a URL that must fail: the
// init container exits 1 saying why, and nginx never starts.
func testInitDemoFails(t *testing.T, url, reason string) {
	ns := newNamespace(t, "init-demo")
	apply(t, ns, initDemo(t, url))
	p := waitPod(t, ns, "init-demo", 3*time.Minute, "install to fail", func(p *pod) bool {
		return p.exited("install") != nil
	})
	if e := p.exited("install"); e.ExitCode != 1 {
		t.Errorf("install exited %d, want 1: %s", e.ExitCode, p.summary())
	}
	if log := runLogs(t, ns, "init-demo", "install"); !strings.Contains(log, reason) {
		t.Errorf("install's log does not say %q:\n%s", reason, log)
	}
	if c := p.container("nginx"); c == nil || c.State.Waiting == nil || c.RestartCount > 0 {
		t.Errorf("nginx started without the page: %s", p.summary())
	}
}

// pageServer is the HTTPS server standing in for kubernetes.io, on the node
// address, where pods reach it.
type pageServer struct {
	base, page string
	mu         sync.Mutex
	reqs       []string
}

func startPageServer(t *testing.T, trusted bool) *pageServer {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(cl.nodeIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := testCA.serverCert(net.ParseIP(cl.nodeIP), trusted)
	if err != nil {
		t.Fatal(err)
	}
	s := &pageServer{base: "https://" + ln.Addr().String(), page: fmt.Sprintf("<h1>initbox e2e %d</h1>\n", time.Now().UnixNano())}
	modified := time.Now().Add(-time.Hour).Truncate(time.Second)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.html", func(w http.ResponseWriter, r *http.Request) {
		kind := "download"
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			kind = "conditional"
		}
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		w.Header().Set("ETag", `"page-1"`)
		http.ServeContent(rec, r, "index.html", modified, strings.NewReader(s.page))
		s.mu.Lock()
		s.reqs = append(s.reqs, fmt.Sprintf("%s %d", kind, rec.status))
		s.mu.Unlock()
	})
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *pageServer) url(path string) string { return s.base + path }

func (s *pageServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// getPage fetches index.html from the pod's nginx, with its Last-Modified.
// The pod is Ready once its container runs (it has no readiness probe), a
// moment before the server listens: refused connections are retried.
func getPage(t *testing.T, podIP string) (body, modified string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := c.Get("http://" + podIP + "/index.html")
		if err != nil {
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET index.html from the pod: %v, status %d: %s", err, resp.StatusCode, b)
		}
		return string(b), resp.Header.Get("Last-Modified")
	}
}

// killSandbox kills the pause process of a pod through the node's
// containerd: the kubelet then makes a new sandbox and runs the pod's init
// containers again, as after a node reboot.
func killSandbox(t *testing.T, ns, name string) {
	t.Helper()
	sock := os.Getenv("INITBOX_KUBE_CONTAINERD")
	filter := fmt.Sprintf(`labels."io.kubernetes.pod.namespace"==%q,labels."io.kubernetes.pod.name"==%q,labels."io.cri-containerd.kind"=="sandbox"`, ns, name)
	out, err := exec.Command("ctr", "-a", sock, "-n", "k8s.io", "containers", "ls", "-q", filter).Output()
	ids := strings.Fields(string(out))
	if err != nil || len(ids) == 0 {
		t.Fatalf("finding the sandbox of %s/%s: %v (%q)", ns, name, err, out)
	}
	for _, id := range ids {
		if out, err := exec.Command("ctr", "-a", sock, "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", id).CombinedOutput(); err != nil {
			t.Logf("killing sandbox %s: %v: %s", id, err, out)
		}
	}
}
