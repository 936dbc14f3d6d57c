package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// stallTCP accepts connections and never says a word: a server hung after
// accept, or a load balancer with no backend behind it.
func stallTCP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// silentUDP is a DNS server that reads every query and answers none.
func silentUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// stallHTTP answers: /503 always 503 (retried until the deadline); /body
// with headers and half the body, then nothing.
func stallHTTP(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/503":
			w.Header().Set("Retry-After", "0")
			http.Error(w, "warming up", http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Length", "1000")
			w.Write(make([]byte, 500))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

// deadlineWords are what Go's context package says, and users must never
// read: the messages name what was being waited for instead. (A socket's
// "i/o timeout" may stay: it comes after what was being read.)
var deadlineWords = regexp.MustCompile(`(?i)deadline exceeded|context canceled`)

// TestDeadlinesNeverSayContextDeadlineExceeded drives every command to its
// deadline against servers that stall, and reads every line it logs.
func TestDeadlinesNeverSayContextDeadlineExceeded(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: runs every command to its deadline (about 10s)")
	}
	tcp, dnsServer, web := stallTCP(t), silentUDP(t), stallHTTP(t)
	targets := []string{"http://" + tcp + "/healthz", "dns://db.example", "postgres://" + tcp + "/db",
		"mysql://" + tcp + "/db", "redis://" + tcp, "amqp://" + tcp, "nats://" + tcp, "mqtt://" + tcp, "grpc://" + tcp}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	os.WriteFile(kubeconfig, []byte(`{"apiVersion": "v1", "kind": "Config", "current-context": "c",
		"clusters": [{"name": "c", "cluster": {"server": "http://`+tcp+`"}}],
		"contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
		"users": [{"name": "u", "user": {"token": "x"}}]}`), 0o600)
	targets = append(targets, "k8s://default/pod/db-0")
	slow := filepath.Join(dir, "slow.tmpl")
	// 12! includes: seconds of work, cut short by --timeout.
	os.WriteFile(slow, []byte(`{{ define "r" }}{{ range $x := . }}{{ include "r" (slice $ 1) }}{{ end }}{{ end }}{{ include "r" (list 1 2 3 4 5 6 7 8 9 10 11 12) }}`), 0o644)
	small := filepath.Join(dir, "small.tmpl")
	os.WriteFile(small, []byte("x\n"), 0o644)
	runDeadline := filepath.Join(dir, "deadline.yaml")
	os.WriteFile(runDeadline, []byte(fmt.Sprintf(`deadline: 1s
steps:
  - parallel:
      - wait: {targets: ["http://%[1]s/healthz", "dns://db.example"], dns-server: "%[2]s"}
      - fetch: {url: "%[3]s/body", output: %[4]s/r1}
`, tcp, dnsServer, web, dir)), 0o644)
	runTimeouts := filepath.Join(dir, "timeouts.yaml")
	os.WriteFile(runTimeouts, []byte(fmt.Sprintf(`steps:
  - parallel:
      - wait: {targets: ["http://%[1]s/healthz", "dns://db.example"], dns-server: "%[2]s", timeout: 1s}
      - fetch: {url: "%[3]s/503", output: %[4]s/r2, timeout: 1s}
      - render: {template: %[5]s, output: %[4]s/r3, max-output: "0", timeout: 1s}
`, tcp, dnsServer, web, dir, slow)), 0o644)

	tests := []struct {
		name string
		args []string
		code int
	}{
		{"wait, attempts cut by the deadline", append([]string{"wait", "--timeout", "1s", "--dns-server", dnsServer, "--kubeconfig", kubeconfig}, targets...), ExitTimeout},
		{"wait, attempts time out first", append([]string{"wait", "--timeout", "1500ms", "--attempt-timeout", "400ms", "--dns-server", dnsServer, "--kubeconfig", kubeconfig}, targets...), ExitTimeout},
		{"wait --any", append([]string{"wait", "--any", "--timeout", "1s", "--dns-server", dnsServer, "--kubeconfig", kubeconfig}, targets...), ExitTimeout},
		{"check", append([]string{"check", "--timeout", "700ms", "--dns-server", dnsServer, "--kubeconfig", kubeconfig}, targets...), ExitFailed},
		{"fetch, no answer", []string{"fetch", "--timeout", "1s", "-o", filepath.Join(dir, "a"), "http://" + tcp + "/a"}, ExitTimeout},
		{"fetch, body stalls", []string{"fetch", "--timeout", "1s", "-o", filepath.Join(dir, "b"), web + "/body"}, ExitTimeout},
		{"fetch, 503 until the deadline", []string{"fetch", "--timeout", "1s", "-o", filepath.Join(dir, "c"), web + "/503"}, ExitTimeout},
		{"fetch, OCI registry", []string{"fetch", "--timeout", "1s", "-o", filepath.Join(dir, "oci"), "oci://" + tcp + "/repo:tag"}, ExitTimeout},
		{"fetch, several", []string{"fetch", "--timeout", "1s", "--dir", dir, "http://" + tcp + "/d", web + "/e", web + "/503"}, ExitTimeout},
		{"render, template", []string{"render", "--timeout", "500ms", "--max-output", "0", "-o", filepath.Join(dir, "out"), slow}, ExitTimeout},
		{"render, validator", []string{"render", "--timeout", "500ms", "--validate", "sh -c 'sleep 30' {}", "-o", filepath.Join(dir, "out2"), small}, ExitTimeout},
		{"run, its deadline", []string{"run", runDeadline}, ExitTimeout},
		{"run, a step's timeout", []string{"run", runTimeouts}, ExitTimeout},
	}
	for _, format := range []string{"text", "json"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				code, _, _, stderr := runInitbox(t, append([]string{"--log-format", format}, tt.args...)...)
				if code != tt.code {
					t.Errorf("exit %d, want %d", code, tt.code)
				}
				if m := deadlineWords.FindString(stderr); m != "" {
					t.Errorf("stderr says %q:\n%s", m, stderr)
				} else if testing.Verbose() {
					t.Log(stderr)
				}
				if strings.TrimSpace(stderr) == "" {
					t.Error("nothing on stderr: the user is not told why")
				}
				// (In "a step's timeout", the first step to time out stops
				// the others, which may be the wait.)
				if strings.HasPrefix(tt.name, "wait") || tt.name == "check" || tt.name == "run, its deadline" {
					checkDNSReason(t, stderr, dnsServer)
				}
			})
		}
	}
}

// checkDNSReason: the DNS target's reason names the server that did not
// answer, and the name once (the target names it too).
func checkDNSReason(t *testing.T, stderr, server string) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, "dns://db.example") || !strings.Contains(line, "rror") {
			continue
		}
		if !strings.Contains(line, "no answer from "+server) {
			t.Errorf("the DNS reason does not name the server %s: %s", server, line)
		}
		if n := strings.Count(line, "db.example"); n != 2 { // the target, and the reason
			t.Errorf("the line names db.example %d times, want 2: %s", n, line)
		}
		return
	}
	t.Errorf("no error line for dns://db.example:\n%s", stderr)
}
