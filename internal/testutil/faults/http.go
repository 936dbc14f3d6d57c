// Package faults provides misbehaving servers on loopback for tests: HTTP
// servers that reset, stall, drip or lie, TLS servers with bad certificates,
// DNS servers that fail in each way a resolver can, and TCP listeners that
// never answer. Each is started by a function taking the test and is shut
// down when the test ends.
package faults

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

var discardLog = log.New(io.Discard, "", 0)

// server starts an httptest server that logs nothing: faults make the
// standard library complain, which is expected here.
func server(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = discardLog
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// ResetMidBody serves body with its full Content-Length, but resets the
// connection (RST, not FIN) after the first `after` bytes.
func ResetMidBody(t testing.TB, body []byte, after int) *httptest.Server {
	return server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n", len(body))
		buf.Write(body[:min(after, len(body))])
		buf.Flush()
		reset(conn)
	}))
}

// reset closes conn with an RST, as a crashed server or a middlebox would.
func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// StallBeforeHeaders accepts requests and never answers until the client
// gives up or the test ends.
func StallBeforeHeaders(t testing.TB) *httptest.Server {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
}

// StallAfterHeaders sends a 200 with a Content-Length of size and then no
// byte of the body until the client gives up or the test ends.
func StallAfterHeaders(t testing.TB, size int) *httptest.Server {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
}

// Drip sends body one byte per interval, flushing each.
func Drip(t testing.TB, body []byte, interval time.Duration) *httptest.Server {
	return server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		rc := http.NewResponseController(w)
		for _, b := range body {
			if _, err := w.Write([]byte{b}); err != nil {
				return
			}
			rc.Flush()
			select {
			case <-time.After(interval):
			case <-r.Context().Done():
				return
			}
		}
	}))
}

// LyingLength claims a Content-Length of claimed but sends only body and
// closes the connection cleanly (FIN).
func LyingLength(t testing.TB, body []byte, claimed int) *httptest.Server {
	return server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", claimed)
		buf.Write(body)
		buf.Flush()
	}))
}

// Burst answers the first n requests with status, then hands requests to
// next. Requests reports how many arrived.
type Burst struct {
	*httptest.Server
	requests atomic.Int64
}

// Requests is the number of requests the server has seen.
func (b *Burst) Requests() int64 { return b.requests.Load() }

// NewBurst starts a server that fails n times with status before serving.
func NewBurst(t testing.TB, n int, status int, next http.Handler) *Burst {
	return newBurst(t, n, next, func(w http.ResponseWriter) {
		http.Error(w, http.StatusText(status), status)
	})
}

// NewThrottle starts a server that answers the first n requests with 429
// Too Many Requests and a Retry-After of retryAfter, then serves next.
func NewThrottle(t testing.TB, n int, retryAfter string, next http.Handler) *Burst {
	return newBurst(t, n, next, func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", retryAfter)
		http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
	})
}

func newBurst(t testing.TB, n int, next http.Handler, fail func(http.ResponseWriter)) *Burst {
	b := &Burst{}
	b.Server = server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b.requests.Add(1) <= int64(n) {
			fail(w)
			return
		}
		next.ServeHTTP(w, r)
	}))
	return b
}

// RawResponse answers every connection with the given bytes, then closes it:
// for malformed HTTP.
func RawResponse(t testing.TB, raw string) string {
	t.Helper()
	return "http://" + testnet.Serve(t, func(conn net.Conn) {
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		http.ReadRequest(bufio.NewReader(conn))
		io.WriteString(conn, raw)
	})
}
