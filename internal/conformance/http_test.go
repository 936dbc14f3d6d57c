// Package conformance runs initbox's checks next to the references they
// claim to agree with: the kubelet's own HTTP prober, imported from
// k8s.io/kubernetes, on the same real servers. It is a module of its own so
// that initbox itself never depends on Kubernetes.
package conformance

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/kubernetes/pkg/probe"
	khttp "k8s.io/kubernetes/pkg/probe/http"

	"github.com/initbox/initbox/checks"
)

// maxBody is the kubelet's maxRespBodyLength.
const maxBody = 10 << 10

// servers are the real servers one case runs against: main, where the probe
// starts; other, the same handler on another port of the same host name;
// tls, the same on https.
type servers struct {
	main, other, tls *httptest.Server
	// otherHost is other's URL with a different host name for the same
	// address: the redirect the kubelet does not follow by default.
	otherHost string
	caFile    string // trusts tls's certificate, for initbox
	release   chan struct{}

	mu   sync.Mutex
	seen []http.Header // headers of requests to /echo, in order
}

// handler is every path a case may start at or be redirected to.
func (s *servers) handler() http.Handler {
	mux := http.NewServeMux()
	status := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			io.WriteString(w, body)
		}
	}
	for _, code := range []int{200, 204, 299, 300, 301, 302, 303, 304, 307, 308, 399, 400, 404, 500, 503} {
		mux.HandleFunc(fmt.Sprintf("/status/%d", code), status(code, "body of "+fmt.Sprint(code)))
	}
	mux.HandleFunc("/status/-1", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(-1) }) // panics: connection dropped
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusFound
		fmt.Sscan(r.URL.Query().Get("code"), &code)
		http.Redirect(w, r, r.URL.Query().Get("loc"), code)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		loc := fmt.Sprintf("/hop/%d", n-1)
		if n <= 0 {
			loc = "/status/200"
		}
		http.Redirect(w, r, loc, http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/healthz/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/healthz/", status(503, "not yet"))
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Header.Clone())
		s.mu.Unlock()
		io.WriteString(w, r.Host)
	})
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "www.success.com" {
			http.Error(w, "", http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/big/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		w.Write(bytes.Repeat([]byte("a"), n))
	})
	// /stall sends headers and part of the body, then nothing; /stall/N
	// sends N bytes first. /hang sends nothing at all.
	mux.HandleFunc("/stall/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		w.Write(bytes.Repeat([]byte("a"), n))
		w.(http.Flusher).Flush()
		s.block(r)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { s.block(r) })
	return mux
}

// block waits until the client gives up or the test ends.
func (s *servers) block(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.release:
	}
}

func startServers(t *testing.T) *servers {
	t.Helper()
	s := &servers{release: make(chan struct{})}
	quiet := log.New(io.Discard, "", 0) // the -1 status panics on purpose
	start := func(tls bool) *httptest.Server {
		srv := httptest.NewUnstartedServer(s.handler())
		srv.Config.ErrorLog = quiet
		if tls {
			srv.StartTLS()
		} else {
			srv.Start()
		}
		return srv
	}
	s.main, s.other, s.tls = start(false), start(false), start(true)
	t.Cleanup(func() {
		close(s.release)
		s.main.Close()
		s.other.Close()
		s.tls.Close()
	})
	s.otherHost = strings.Replace(s.other.URL, "127.0.0.1", "localhost", 1)
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.tls.Certificate().Raw})
	if err := os.WriteFile(s.caFile, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// headers returns the headers /echo saw, and forgets them.
func (s *servers) headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.seen
	s.seen = nil
	return h
}

// httpCase is one probe: where it starts and with which request headers.
type httpCase struct {
	name    string
	path    string      // on main; "{other}", "{otherhost}", "{tls}" expand to those URLs
	header  http.Header // as a container's httpGet.httpHeaders
	timeout time.Duration
}

// httpCases holds every case of the kubelet's pkg/probe/http/http_test.go
// (TestHTTPProbeChecker, _NonLocalRedirects, _HostHeaderPreservedAfterRedirect,
// _PayloadTruncated, _PayloadNormal), plus the cases issue 11 found and the
// edges around them.
func httpCases() []httpCase {
	h := func(kv ...string) http.Header {
		hd := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			hd.Add(kv[i], kv[i+1])
		}
		return hd
	}
	redirect := func(code int, loc string) string {
		return fmt.Sprintf("/redirect?code=%d&loc=%s", code, url.QueryEscape(loc))
	}
	cases := []httpCase{
		// TestHTTPProbeChecker: statuses and bodies.
		{name: "200 with body", path: "/status/200"},
		{name: "status -1 (dropped)", path: "/status/-1"},
		{name: "500", path: "/status/500"},
		{name: "hangs past the timeout", path: "/hang", timeout: time.Second},
		// TestHTTPProbeChecker: headers sent.
		{name: "no headers", path: "/echo", header: h()},
		{name: "Accept-Encoding gzip", path: "/echo", header: h("Accept-Encoding", "gzip")},
		{name: "Accept-Encoding foo", path: "/echo", header: h("Accept-Encoding", "foo")},
		{name: "Accept-Encoding empty", path: "/echo", header: h("Accept-Encoding", "")},
		{name: "custom header", path: "/echo", header: h("X-Muffins-Or-Cupcakes", "muffins")},
		{name: "User-Agent set", path: "/echo", header: h("User-Agent", "foo/1.0")},
		{name: "User-Agent empty", path: "/echo", header: h("User-Agent", "")},
		{name: "User-Agent and Accept", path: "/echo", header: h("User-Agent", "foo/1.0", "Accept", "text/html")},
		{name: "User-Agent and Accept pattern", path: "/echo", header: h("User-Agent", "foo/1.0", "Accept", "foo/*")},
		{name: "custom and Accept", path: "/echo", header: h("X-Muffins-Or-Cupcakes", "muffins", "Accept", "foo/*")},
		{name: "Accept pattern", path: "/echo", header: h("Accept", "foo/*")},
		{name: "Accept empty", path: "/echo", header: h("Accept", "")},
		{name: "User-Agent, Accept empty", path: "/echo", header: h("User-Agent", "foo/1.0", "Accept", "")},
		{name: "Host", path: "/echo", header: h("Host", "muffins.cupcakes.org")},
		// TestHTTPProbeChecker: redirects to /new, good or bad, with
		// each code; and a 308 with no Location, with or without body.
		{name: "redirect with body, no Location, empty", path: "/status/308"},
		{name: "redirect with body, no Location", path: "/status/301"},
		// TestHTTPProbeChecker_NonLocalRedirects.
		{name: "local success", path: redirect(302, "/status/200")},
		{name: "local fail", path: redirect(302, "/status/500")},
		{name: "newport success", path: redirect(302, "{other}/status/200")},
		{name: "newport fail", path: redirect(302, "{other}/status/500")},
		{name: "bogus nonlocal", path: redirect(302, "http://0.0.0.0/fail")},
		{name: "other host fail", path: redirect(302, "{otherhost}/status/500")},
		{name: "other host success", path: redirect(302, "{otherhost}/status/200")},
		{name: "redirect loop", path: "/loop"},
		// TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect.
		{name: "Host kept after redirect", path: redirect(302, "/host"), header: h("Host", "www.success.com")},
		{name: "wrong Host after redirect", path: redirect(302, "/host"), header: h("Host", "www.fail.com")},
		// TestHTTPProbeChecker_PayloadTruncated and _PayloadNormal.
		{name: "payload over the limit", path: fmt.Sprintf("/big/%d", maxBody+1)},
		{name: "payload at the limit", path: fmt.Sprintf("/big/%d", maxBody)},
		{name: "payload under the limit", path: fmt.Sprintf("/big/%d", maxBody-1)},
		// Issue 11.
		{name: "healthz to healthz/ 503", path: "/healthz"},
		{name: "to https, same host", path: redirect(302, "{tls}/status/200")},
		{name: "to https, same host, 503", path: redirect(307, "{tls}/status/503")},
		{name: "9 redirects", path: "/hop/8"},
		{name: "10 redirects", path: "/hop/9"},
		{name: "body stalls after headers", path: "/stall/0", timeout: time.Second},
		{name: "body stalls within 10 KiB", path: fmt.Sprintf("/stall/%d", maxBody-1), timeout: time.Second},
		{name: "body stalls after 10 KiB", path: fmt.Sprintf("/stall/%d", maxBody), timeout: time.Second},
	}
	for _, code := range []int{301, 302, 303, 307, 308} {
		cases = append(cases,
			httpCase{name: fmt.Sprintf("%d to good", code), path: redirect(code, "/status/200")},
			httpCase{name: fmt.Sprintf("%d to bad", code), path: redirect(code, "/status/500")},
			httpCase{name: fmt.Sprintf("%d to a %d", code, code), path: redirect(code, fmt.Sprintf("/status/%d", code))},
		)
	}
	for _, code := range []int{200, 204, 299, 300, 304, 399, 400, 404, 503} {
		cases = append(cases, httpCase{name: fmt.Sprint(code), path: fmt.Sprintf("/status/%d", code)})
	}
	return cases
}

func (s *servers) url(path string) string {
	r := strings.NewReplacer("{other}", s.other.URL, "{otherhost}", s.otherHost, "{tls}", s.tls.URL)
	if strings.HasPrefix(path, "/redirect?") {
		// The placeholders are inside an escaped query value.
		q, _ := url.ParseQuery(strings.TrimPrefix(path, "/redirect?"))
		q.Set("loc", r.Replace(q.Get("loc")))
		return s.main.URL + "/redirect?" + q.Encode()
	}
	return s.main.URL + r.Replace(path)
}

// kubelet probes as the kubelet does: its request, its prober.
func kubelet(t *testing.T, target string, header http.Header, timeout time.Duration, followNonLocal bool) probe.Result {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	var hd http.Header
	if header != nil {
		hd = header.Clone()
	}
	req, err := khttp.NewProbeRequest(u, hd)
	if err != nil {
		t.Fatal(err)
	}
	result, _, err := khttp.New(followNonLocal).Probe(req, timeout)
	if err != nil {
		return probe.Failure // the kubelet's prober turns an error into a failure
	}
	return result
}

// initbox makes one attempt with initbox's checker, mapped to the kubelet's
// results: ready is Success, ready with a warning is Warning.
func initbox(t *testing.T, s *servers, target string, header http.Header, timeout time.Duration, redirects checks.Redirects) (probe.Result, string) {
	t.Helper()
	var lines []string
	for name, values := range header {
		for _, v := range values {
			lines = append(lines, name+": "+v)
		}
	}
	c, err := checks.Parse(target, checks.Options{HTTP: checks.HTTPOptions{
		Headers: lines, Redirects: redirects, UserAgent: "initbox/conformance",
		TLS: checks.TLSOptions{CAFile: s.caFile},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	warning, err := c.(checks.Warner).CheckWarn(ctx)
	switch {
	case err != nil:
		return probe.Failure, err.Error()
	case warning != "":
		return probe.Warning, warning
	}
	return probe.Success, ""
}

// sameHeaders compares what the server saw from each, but the User-Agent's
// product, which names each prober on purpose.
func sameHeaders(kube, ours http.Header) bool {
	norm := func(h http.Header) http.Header {
		h = h.Clone()
		if ua, ok := h["User-Agent"]; ok && len(ua) == 1 {
			ua[0] = strings.NewReplacer("kube-probe/", "PROBER/", "initbox/", "PROBER/").Replace(ua[0])
			if strings.HasPrefix(ua[0], "PROBER/") {
				ua[0] = "PROBER/*"
			}
		}
		return h
	}
	return maps.EqualFunc(norm(kube), norm(ours), slices.Equal)
}

func TestHTTPAgreesWithKubelet(t *testing.T) {
	s := startServers(t)
	modes := []struct {
		name           string
		followNonLocal bool
		redirects      checks.Redirects
	}{
		{"kubelet default", false, checks.RedirectsSameHost},
		{"follow non-local", true, checks.RedirectsAll},
	}
	counts := map[probe.Result]int{}
	for _, m := range modes {
		for _, tc := range httpCases() {
			t.Run(m.name+"/"+tc.name, func(t *testing.T) {
				timeout := tc.timeout
				if timeout == 0 {
					timeout = 30 * time.Second // generous: only the stall cases time out
				}
				target := s.url(tc.path)
				want := kubelet(t, target, tc.header, timeout, m.followNonLocal)
				kubeSaw := s.headers()
				got, why := initbox(t, s, target, tc.header, timeout, m.redirects)
				ourSaw := s.headers()
				counts[want]++
				if got != want {
					t.Errorf("%s: kubelet says %s, initbox says %s (%s)", target, want, got, why)
				}
				if len(kubeSaw) != len(ourSaw) {
					t.Fatalf("the kubelet made %d requests to /echo, initbox %d", len(kubeSaw), len(ourSaw))
				}
				for i := range kubeSaw {
					if !sameHeaders(kubeSaw[i], ourSaw[i]) {
						t.Errorf("headers differ:\n\tkubelet %v\n\tinitbox %v", kubeSaw[i], ourSaw[i])
					}
				}
			})
		}
	}
	t.Logf("kubelet results over %d probes: %v", 2*len(httpCases()), counts)
}
