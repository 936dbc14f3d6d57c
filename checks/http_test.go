package checks

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testfiles"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

func mustParse(t *testing.T, target string, opts Options) Checker {
	t.Helper()
	c, err := Parse(target, opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", target, err)
	}
	return c
}

func TestHTTP503Then200(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := mustParse(t, srv.URL+"/healthz", Options{})
	for i := range 2 {
		err := c.Check(t.Context())
		var se *StatusError
		if !errors.As(err, &se) || se.Code != 503 {
			t.Fatalf("attempt %d: got %v, want status 503", i+1, err)
		}
		if !strings.Contains(err.Error(), "warming up") {
			t.Errorf("message %q does not quote the body", err)
		}
	}
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
}

func TestHTTPStatusRules(t *testing.T) {
	tests := []struct {
		code   int
		status string
		ready  bool
	}{
		{200, "", true},
		{302, "", true},
		{399, "", true},
		{404, "", false},
		{500, "", false},
		{204, "200", false},
		{204, "200,204", true},
		{404, "200-299,404", true},
		{401, "200-299,404", false},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tt.code >= 300 && tt.code < 400 {
				w.Header().Set("Location", "/elsewhere")
			}
			w.WriteHeader(tt.code)
		}))
		c := mustParse(t, srv.URL, Options{HTTP: HTTPOptions{Status: tt.status, Redirects: RedirectsNone}})
		err := c.Check(t.Context())
		if (err == nil) != tt.ready {
			t.Errorf("status %d with --status %q: got %v, want ready=%v", tt.code, tt.status, err, tt.ready)
		}
		srv.Close()
	}
}

func TestHTTPBodyExpectations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"UP","checks":3}`)
	}))
	defer srv.Close()
	tests := []struct {
		name  string
		opts  HTTPOptions
		ready bool
		msg   string
	}{
		{"substring found", HTTPOptions{ExpectBody: `"status":"UP"`}, true, ""},
		{"substring missing", HTTPOptions{ExpectBody: "DOWN"}, false, `does not contain "DOWN"`},
		{"regex matches", HTTPOptions{ExpectRegex: `"checks":[1-9]`}, true, ""},
		{"regex fails", HTTPOptions{ExpectRegex: `"checks":0`}, false, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustParse(t, srv.URL, Options{HTTP: tt.opts}).Check(t.Context())
			if (err == nil) != tt.ready {
				t.Fatalf("got %v, want ready=%v", err, tt.ready)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %q, want it to mention %q", err, tt.msg)
			}
		})
	}
}

func TestHTTPSendsFreshRequestEveryAttempt(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	testfiles.Write(t, dir, map[string]string{"token": "Bearer t0ken\n"})
	var bodies []string
	var remotes = map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		remotes[r.RemoteAddr] = true
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer t0ken" ||
			r.Header.Get("X-Probe") != "initbox" || r.Host != "app.internal" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := mustParse(t, srv.URL, Options{HTTP: HTTPOptions{
		Method:      http.MethodPost,
		Body:        `{"ping":1}`,
		Headers:     []string{"X-Probe: initbox", "Host: app.internal"},
		HeaderFiles: []string{"Authorization=" + tokenFile},
		Status:      "200",
	}})
	for range 3 {
		var se *StatusError
		if err := c.Check(t.Context()); !errors.As(err, &se) || se.Code != 503 {
			t.Fatalf("got %v, want 503 (a 400 means the request was incomplete)", err)
		}
	}
	for i, b := range bodies {
		if b != `{"ping":1}` {
			t.Errorf("attempt %d sent body %q, want the full body every time", i+1, b)
		}
	}
	if len(remotes) != 3 {
		t.Errorf("3 attempts came from %d connections, want a new connection each", len(remotes))
	}
}

func TestHTTPReadsBoundedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 64<<10)
		for range 64 { // 4 MiB, more than maxBody
			io.WriteString(w, chunk)
		}
		io.WriteString(w, "NEEDLE")
	}))
	defer srv.Close()
	err := mustParse(t, srv.URL, Options{HTTP: HTTPOptions{ExpectBody: "NEEDLE"}}).Check(t.Context())
	if err == nil || !strings.Contains(err.Error(), "does not contain") {
		t.Fatalf("got %v, want the needle beyond the size limit not found", err)
	}
}

// A body cut off by the deadline gives the same reason however much of it
// arrived, so a waiter against a dripping server logs it once, not at every
// attempt; a body that ended early still says where.
func TestBodyErrorReasonIgnoresTimedOutLength(t *testing.T) {
	a := (&BodyError{Code: 200, Read: 10, Err: os.ErrDeadlineExceeded}).Error()
	b := (&BodyError{Code: 200, Read: 6, Err: context.DeadlineExceeded}).Error()
	if !strings.HasPrefix(a, "status 200 but the body was still arriving") || !strings.HasPrefix(b, "status 200 but the body was still arriving") {
		t.Errorf("timed-out bodies: %q and %q", a, b)
	}
	if got := (&BodyError{Code: 200, Read: 5, Err: io.ErrUnexpectedEOF}).Error(); !strings.Contains(got, "after 5 bytes") {
		t.Errorf("cut-off body: %q, want the length", got)
	}
}

// A server that hangs up before answering gives one reason whether the
// client reads an end of stream or a reset (which one it gets from a real
// server is a race), so a wait against it logs the fault once, not again
// each time the race goes the other way. Both servers read the request
// first; linger 0 makes the second one's close a reset every time.
func TestHTTPServerThatHangsUpGivesOneReason(t *testing.T) {
	hangUp := func(linger bool) func(net.Conn) {
		return func(c net.Conn) {
			http.ReadRequest(bufio.NewReader(c))
			if linger {
				c.(*net.TCPConn).SetLinger(0)
			}
			c.Close()
		}
	}
	for _, tc := range []struct {
		name  string
		addr  string
		cause error
	}{
		{"end of stream", testnet.Serve(t, hangUp(false)), io.EOF},
		{"reset", testnet.Serve(t, hangUp(true)), syscall.ECONNRESET},
	} {
		err := mustParse(t, "http://"+tc.addr+"/", Options{}).Check(t.Context())
		var na *NoAnswerError
		if !errors.As(err, &na) || !errors.Is(na.Err, tc.cause) {
			t.Fatalf("%s: got %#v, want a NoAnswerError from %v", tc.name, err, tc.cause)
		}
		if got := err.Error(); got != "the server closed the connection without answering" {
			t.Errorf("%s: reason %q", tc.name, got)
		}
	}
}

// A server that closes each connection as it accepts it, before the request
// arrives, races net/http's transport three ways: the client reads an end
// of stream, a reset, or (when its reader sees the close before the request
// is counted as sent) "http: server closed idle connection". A few in a
// thousand attempts take the rare ways; every attempt must read the same.
func TestHTTPAcceptAndCloseGivesOneReason(t *testing.T) {
	ln := testnet.Listen(t)
	go testnet.AcceptAndClose(ln)
	c := mustParse(t, "http://"+ln.Addr().String()+"/", Options{})
	reasons := map[string]int{}
	for range 1000 {
		reasons[c.Check(t.Context()).Error()]++
	}
	if len(reasons) != 1 || reasons["the server closed the connection without answering"] == 0 {
		t.Errorf("reasons over 1000 attempts: %v, want only the hang-up", reasons)
	}
}
