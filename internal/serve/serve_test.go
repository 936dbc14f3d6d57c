package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/initbox/initbox/checks"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// fixture is a Monitor of real loopback targets, running, and its handler
// served on loopback.
type fixture struct {
	m   *checks.Monitor
	url string
}

func start(t *testing.T, interval time.Duration, anyOf bool, targets ...string) *fixture {
	t.Helper()
	var cs []checks.Checker
	for _, s := range targets {
		c, err := checks.Parse(s, checks.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	m := checks.NewMonitor(cs)
	m.Interval = interval
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &fixture{m: m, url: "http://" + listen(t, New(m, anyOf))}
}

// listen serves h with Serve on a loopback port until the test ends, and
// returns the address.
func listen(t *testing.T, h http.Handler) string {
	t.Helper()
	ln := testnet.Listen(t)
	done := make(chan struct{})
	go func() { Serve(ln, h); close(done) }()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func get(t *testing.T, url string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// eventually polls url until it answers code, for at most 30 s.
func eventually(t *testing.T, url string, code int) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, body, _ := get(t, url)
		if got == code {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: still %d %q after 30 s, want %d", url, got, body, code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls cond for at most 30 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countingServer is an HTTP target that counts the checks it receives.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestReadyzFollowsTargets(t *testing.T) {
	late := testnet.NewLate(t)
	app, _ := countingServer(t)
	f := start(t, 50*time.Millisecond, false, "tcp://"+late.Addr, app.URL+"/healthz")
	waitFor(t, func() bool { return f.m.Status()[1].Ready })

	body := eventually(t, f.url+"/readyz", 503)
	if !strings.Contains(body, "tcp://"+late.Addr+": ") {
		t.Errorf("503 body %q, want the failing target and its reason", body)
	}
	if strings.Contains(body, app.URL) {
		t.Errorf("503 body %q names the ready target", body)
	}
	if code, _, _ := get(t, f.url+"/startupz"); code != 503 {
		t.Errorf("/startupz before every target was ready: %d, want 503", code)
	}
	ln := late.Listen(t, 128)
	go testnet.AcceptAndClose(ln)
	if body := eventually(t, f.url+"/readyz", 200); body != "ok\n" {
		t.Errorf("200 body %q, want ok", body)
	}
	eventually(t, f.url+"/startupz", 200)

	app.Close() // gone again: ready no more, but started for good
	body = eventually(t, f.url+"/readyz", 503)
	if !strings.Contains(body, "connection refused") {
		t.Errorf("503 body %q, want the reason", body)
	}
	if code, _, _ := get(t, f.url+"/startupz"); code != 200 {
		t.Errorf("/startupz after a target went away: %d, want 200 (it was ready once)", code)
	}
	if code, body, _ := get(t, f.url+"/livez"); code != 200 || body != "ok\n" {
		t.Errorf("/livez: %d %q, want 200 ok", code, body)
	}
}

func TestReadyzAny(t *testing.T) {
	late := testnet.NewLate(t)
	app, _ := countingServer(t)
	f := start(t, 50*time.Millisecond, true, "tcp://"+late.Addr, app.URL)
	eventually(t, f.url+"/readyz", 200)
	eventually(t, f.url+"/startupz", 200)
}

func TestReadyzJSON(t *testing.T) {
	late := testnet.NewLate(t)
	f := start(t, 50*time.Millisecond, false, "tcp://"+late.Addr)
	// Not /readyz's 503: it comes before the first check ends too ("not
	// checked yet"), and the reason below needs that check.
	waitFor(t, func() bool { return f.m.Status()[0].Checked })
	for _, h := range [][]string{{"Accept", "application/json"}, nil} {
		u := f.url + "/readyz"
		if h == nil {
			u += "?format=json"
		}
		code, body, hdr := get(t, u, h...)
		var got struct {
			OK      bool
			Targets []struct {
				Target, Reason string
				Ready          bool
				Failures       int `json:"consecutive_failures"`
			}
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: %v in %q", u, err, body)
		}
		if code != 503 || hdr.Get("Content-Type") != "application/json" || got.OK || len(got.Targets) != 1 ||
			got.Targets[0].Target != "tcp://"+late.Addr || !strings.Contains(got.Targets[0].Reason, "connection refused") || got.Targets[0].Failures < 1 {
			t.Errorf("%s %v: %d %s %q", u, h, code, hdr.Get("Content-Type"), body)
		}
	}
}

func TestProbesNeverCauseChecks(t *testing.T) {
	app, checks := countingServer(t)
	f := start(t, time.Hour, false, app.URL)
	eventually(t, f.url+"/readyz", 200)
	before := checks.Load()
	for range 300 {
		for _, p := range []string{"/readyz", "/startupz", "/livez", "/metrics"} {
			if code, _, _ := get(t, f.url+p); code != 200 {
				t.Fatalf("%s: %d", p, code)
			}
		}
	}
	if after := checks.Load(); after != before {
		t.Errorf("1,200 probes made the target see %d more checks, want none", after-before)
	}
}

func TestMetrics(t *testing.T) {
	app, _ := countingServer(t)
	late := testnet.NewLate(t)
	f := start(t, 50*time.Millisecond, false, app.URL+`/a"b`, "tcp://"+late.Addr)
	waitFor(t, func() bool { s := f.m.Status(); return s[0].Ready && s[1].Failures >= 2 })
	_, body, hdr := get(t, f.url+"/metrics")
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	appLabel := `{target="` + app.URL + `/a\"b"}`
	lateLabel := `{target="tcp://` + late.Addr + `"}`
	for _, want := range []string{
		"# TYPE initbox_ready gauge\ninitbox_ready 0\n",
		"initbox_started 0\n",
		"# TYPE initbox_target_ready gauge\n",
		"initbox_target_ready" + appLabel + " 1\n",
		"initbox_target_ready" + lateLabel + " 0\n",
		"initbox_target_transitions_total" + appLabel + " 1\n",
		"initbox_target_transitions_total" + lateLabel + " 0\n",
		"initbox_target_consecutive_failures" + appLabel + " 0\n",
		"# TYPE initbox_target_transitions_total counter\n",
		"initbox_target_check_duration_seconds" + appLabel + " ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	_, rest, _ := strings.Cut(body, "initbox_target_consecutive_failures"+lateLabel+" ")
	v, _, _ := strings.Cut(rest, "\n")
	if n, err := strconv.Atoi(v); err != nil || n < 2 {
		t.Errorf("consecutive failures of the closed port: %q, want 2 or more", v)
	}
}

func TestMethodsAndPaths(t *testing.T) {
	f := start(t, time.Hour, false, "file:///")
	resp, err := http.Post(f.url+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST /readyz: %d, want 405", resp.StatusCode)
	}
	if code, _, _ := get(t, f.url+"/nope"); code != 404 {
		t.Errorf("GET /nope: %d, want 404", code)
	}
	req, _ := http.NewRequest("HEAD", f.url+"/livez", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HEAD /livez: %d, want 200", resp.StatusCode)
	}
}
