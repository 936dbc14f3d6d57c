package fetch

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/atomicfile"
)

// server is a loopback HTTP server whose handler knows which request (1,
// 2, …) it is answering, and which keeps every request's header.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
	times   []time.Time
}

func newServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, n int)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		s.times = append(s.times, time.Now())
		n := len(s.headers)
		s.mu.Unlock()
		h(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.headers)
}

// header returns the header of request n (1-based).
func (s *server) header(n int) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > len(s.headers) {
		return http.Header{}
	}
	return s.headers[n-1]
}

// serve answers like a static file server with an ETag: ranges,
// If-Range, If-None-Match and 304 all work.
func serve(w http.ResponseWriter, r *http.Request, data []byte, etag string) {
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "", time.Unix(1700000000, 0), bytes.NewReader(data))
}

// cutFirst is a handler that cuts the first response off after n bytes of
// data (see cut) and hands every later request to rest.
func cutFirst(t *testing.T, data []byte, n int, etag string, rest http.HandlerFunc) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, i int) {
		if i == 1 {
			cut(t, w, data, n, etag)
			return
		}
		rest(w, r)
	}
}

// cut sends the headers for the whole of data, then only its first n
// bytes, then resets the connection.
func cut(t *testing.T, w http.ResponseWriter, data []byte, n int, etag string) {
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(data[:n])
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with RST: a reset, not a clean end
	}
	conn.Close()
}

func randomData(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func sha(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// newTestFetcher has short pauses between retries, and logs into a buffer.
func newTestFetcher(t *testing.T, opts Options) (*Fetcher, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if opts.RetryWaitMin == 0 {
		opts.RetryWaitMin, opts.RetryWaitMax = time.Millisecond, 20*time.Millisecond
	}
	opts.Log = slog.New(slog.NewTextHandler(logs, nil))
	f, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f, logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func assertContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes (sha256 %x), want %d bytes (sha256 %x)", path, len(got), sha(got), len(want), sha(want))
	}
}

// assertNoTemp fails if dir holds a temporary file or, unless allowed, a
// partial download.
func assertNoTemp(t *testing.T, dir string, partialAllowed bool) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		name := e.Name()
		if atomicfile.IsTemp(name) || strings.Contains(name, ".initbox-tmp") ||
			!partialAllowed && strings.Contains(name, partialSuffix) {
			t.Errorf("%s left behind in %s", name, dir)
		}
	}
}

// visible lists the names in dir that do not start with a dot.
func visible(dir string) []string {
	var names []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}
