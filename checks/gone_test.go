package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// goneVerdict runs one gone attempt of c with a generous time limit.
func goneVerdict(t *testing.T, c Checker, limit time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	return Gone(c).(Detailer).CheckDetail(ctx)
}

// wantGone fails unless the attempt found the target gone, seeing want.
func wantGone(t *testing.T, c Checker, want string) {
	t.Helper()
	seen, err := goneVerdict(t, c, 10*time.Second)
	if err != nil {
		t.Fatalf("got %v, want gone", err)
	}
	if !strings.Contains(seen, want) {
		t.Errorf("gone, seeing %q; want it to mention %q", seen, want)
	}
}

// wantThere fails unless the attempt found the target still there (or,
// with unsure, could not tell), with a message that mentions want.
func wantThere(t *testing.T, c Checker, unsure bool, want string, limit time.Duration) {
	t.Helper()
	_, err := goneVerdict(t, c, limit)
	var ng *NotGoneError
	if !errors.As(err, &ng) {
		t.Fatalf("got %v, want a *NotGoneError", err)
	}
	if got := ng.Err != nil; got != unsure {
		t.Errorf("%v: cannot tell = %v, want %v", err, got, unsure)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to mention %q", err, want)
	}
}

func TestGoneTCP(t *testing.T) {
	late := testnet.NewLate(t)
	c := mustParse(t, "tcp://"+late.Addr, Options{})
	wantGone(t, c, "connection refused")
	ln := late.Listen(t, 128)
	go testnet.AcceptAndClose(ln)
	wantThere(t, c, false, "still there: accepts connections", 10*time.Second)
}

func TestGoneTCPSilenceIsNotGone(t *testing.T) {
	// A full accept queue drops SYNs: the server is there, overloaded.
	late := testnet.NewLate(t)
	late.Listen(t, 0)
	for range 4 {
		conn, err := net.DialTimeout("tcp", late.Addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { conn.Close() })
	}
	c := mustParse(t, "tcp://"+late.Addr, Options{})
	w := &Waiter{Policy: Policy{AttemptTimeout: 200 * time.Millisecond}}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	err := w.Wait(ctx, []Checker{Gone(c)})
	var nr *NotReadyError
	if !errors.As(err, &nr) {
		t.Fatalf("got %v, want not gone", err)
	}
	want := "not gone after"
	if msg := nr.Targets[0].Error(); !strings.Contains(msg, want) || !strings.Contains(msg, "cannot tell whether gone: no answer within 200ms") {
		t.Errorf("got %q, want %q and the attempt's timeout", msg, want)
	}
}

func TestGoneHTTP(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		fmt.Fprint(w, "draining")
	}))
	c := mustParse(t, srv.URL+"/healthz", Options{})
	wantThere(t, c, false, "still there: status 200 OK", 10*time.Second)
	status.Store(503)
	wantGone(t, c, "status 503 Service Unavailable, want 200-399")
	status.Store(401) // a refused token says nothing about the server
	wantThere(t, c, true, "cannot tell whether gone: status 401", 10*time.Second)
	expect := mustParse(t, srv.URL+"/healthz", Options{HTTP: HTTPOptions{ExpectBody: "UP"}})
	status.Store(200)
	wantGone(t, expect, `does not contain "UP"`)
	srv.Close()
	wantGone(t, c, "connection refused")
}

func TestGoneHTTPSilenceIsNotGone(t *testing.T) {
	// Accepts, reads, never answers: a server stuck, not a server gone.
	addr := testnet.Serve(t, func(conn net.Conn) { t.Cleanup(func() { conn.Close() }) })
	c := mustParse(t, "http://"+addr+"/", Options{})
	wantThere(t, c, true, "cannot tell whether gone", 300*time.Millisecond)
}

func TestGoneDNS(t *testing.T) {
	const search = "search default.svc.cluster.local svc.cluster.local\noptions ndots:5\n"
	tests := []struct {
		name   string
		answer dns.HandlerFunc
		gone   bool
		unsure bool
		want   string
	}{
		{"has records", zone(t, "db.default.svc.cluster.local. 5 IN A 10.0.0.7"), false, false, "still there: db.default.svc.cluster.local 10.0.0.7"},
		{"NXDOMAIN everywhere", rcode(dns.RcodeNameError), true, false, "NXDOMAIN for db.default.svc.cluster.local, db.svc.cluster.local"},
		{"exists without records", zone(t, "db.default.svc.cluster.local. 5 IN TXT x"), true, false, "exists but has no A or AAAA records"},
		{"SERVFAIL", rcode(dns.RcodeServerFailure), false, true, "SERVFAIL"},
		{"SERVFAIL on one candidate", func(w dns.ResponseWriter, r *dns.Msg) {
			rc := dns.RcodeNameError
			if strings.HasPrefix(r.Question[0].Name, "db.svc.") {
				rc = dns.RcodeServerFailure
			}
			w.WriteMsg(new(dns.Msg).SetRcode(r, rc))
		}, false, true, "SERVFAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDNS(t, startServer(t, tt.answer), "db", search, DNSOptions{})
			if tt.gone {
				wantGone(t, d, tt.want)
			} else {
				wantThere(t, d, tt.unsure, tt.want, 10*time.Second)
			}
		})
	}
}

func TestGoneDNSTooFewRecords(t *testing.T) {
	// A headless service shrinking: fewer endpoints than asked for is a
	// definite answer.
	s := startServer(t, zone(t, "peers.test. 5 IN A 10.0.0.1"))
	wantGone(t, newTestDNS(t, s, "peers.test.", "", DNSOptions{MinRecords: 2}), "has 1 A/AAAA records, want at least 2")
}

func TestGoneFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lock")
	c := mustParse(t, "file://"+path, Options{})
	wantGone(t, c, "no such file")
	if err := os.WriteFile(path, []byte("pid 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantThere(t, c, false, "still there: exists (6 bytes)", 10*time.Second)
	wantGone(t, mustParse(t, "file://"+path+"/below", Options{}), "not a directory")
	nonEmpty := mustParse(t, "file://"+path, Options{File: FileOptions{NonEmpty: true}})
	os.WriteFile(path, nil, 0o644)
	wantGone(t, nonEmpty, "exists but is empty")
}

func TestGoneUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	c := mustParse(t, "unix://"+path, Options{})
	wantGone(t, c, "no such file")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	go testnet.AcceptAndClose(ln)
	wantThere(t, c, false, "still there: accepts connections", 10*time.Second)
	ln.Close() // the socket file stays: connecting is refused
	wantGone(t, c, "connection refused")
}

func TestGoneGRPC(t *testing.T) {
	addr, _ := healthServer(t, "app.Draining")
	wantThere(t, mustParse(t, "grpc://"+addr+"/app.Ready", Options{}), false, "still there: answers as ready", 10*time.Second)
	wantGone(t, mustParse(t, "grpc://"+addr+"/app.Draining", Options{}), "NOT_SERVING")
	wantGone(t, mustParse(t, "grpc://"+addr+"/app.Removed", Options{}), "NOT_FOUND")
	wantThere(t, mustParse(t, "grpc://"+addr+"/app.Odd", Options{}), true, "is UNKNOWN", 10*time.Second)
}

func TestGoneClassifiesDialErrors(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tcp := &TCP{Addr: "10.0.0.1:80"}
	tests := []struct {
		err  error
		gone bool
	}{
		{dial(syscall.ECONNREFUSED), true},
		{dial(syscall.EHOSTUNREACH), true},
		{dial(syscall.ENETUNREACH), true},
		{dial(syscall.ETIMEDOUT), false},
		{dial(syscall.ECONNRESET), false},
		{&net.DNSError{Err: "no such host", Name: "db", IsNotFound: true}, true},
		{&net.DNSError{Err: "server misbehaving", Name: "db", IsTemporary: true}, false},
		{&net.DNSError{Err: "i/o timeout", Name: "db", IsTimeout: true}, false},
		{&AuthError{"postgres", "password authentication failed"}, false},
		{fmt.Errorf("reading --password-file: %w", os.ErrNotExist), false},
		{context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := absent(tcp, tt.err); got != tt.gone {
			t.Errorf("absent(%v) = %v, want %v", tt.err, got, tt.gone)
		}
	}
}
