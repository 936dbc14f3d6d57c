package testregistry

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Proxy is the registry's HTTP front on 127.0.0.1:0. It logs every
// request and, for a blob named by digest, can flip a byte of its body,
// cut the body once after some bytes, or hold it after some bytes until
// the client goes away.
type Proxy struct {
	Host string
	tr   *http.Transport

	mu     sync.Mutex
	log    []string
	tamper map[string]bool
	cut    map[string]int64
	hold   map[string]int64
}

func newProxy(t testing.TB, sock string) *Proxy {
	t.Helper()
	p := &Proxy{tamper: map[string]bool{}, cut: map[string]int64{}, hold: map[string]int64{}}
	p.tr = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}, DisableCompression: true}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() { srv.Close(); p.tr.CloseIdleConnections() })
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// Requests returns "METHOD /path[ Range:…]" of each request since the
// last Reset.
func (p *Proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// Count is the number of requests whose "METHOD /path" contains s.
func (p *Proxy) Count(s string) int {
	n := 0
	for _, r := range p.Requests() {
		if strings.Contains(r, s) {
			n++
		}
	}
	return n
}

// Reset forgets the requests logged so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
}

// Tamper flips the first byte of every body of blob digest (on or off).
func (p *Proxy) Tamper(digest string, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper[digest] = on
}

// CutOnce ends the next body of blob digest after n bytes by dropping
// the connection.
func (p *Proxy) CutOnce(digest string, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut[digest] = n
}

// Hold sends n bytes of every body of blob digest and then nothing,
// until the client gives up; -1 stops holding.
func (p *Proxy) Hold(digest string, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n < 0 {
		delete(p.hold, digest)
		return
	}
	p.hold[digest] = n
}

// rule returns what to do to the body of a request for a blob.
func (p *Proxy) rule(r *http.Request) (tamper bool, cut, hold int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := r.Method + " " + r.URL.RequestURI()
	if rg := r.Header.Get("Range"); rg != "" {
		line += " Range:" + rg
	}
	p.log = append(p.log, line)
	cut, hold = -1, -1
	i := strings.Index(r.URL.Path, "/blobs/sha256:")
	if i < 0 || r.Method != http.MethodGet {
		return false, cut, hold
	}
	digest := r.URL.Path[i+len("/blobs/"):]
	if n, ok := p.cut[digest]; ok {
		cut = n
		delete(p.cut, digest)
	}
	if n, ok := p.hold[digest]; ok {
		hold = n
	}
	return p.tamper[digest], cut, hold
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	tamper, cut, hold := p.rule(r)
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", r.Host
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	body := io.Reader(resp.Body)
	if tamper {
		body = &flipFirst{r: body}
	}
	limit := int64(-1)
	if cut >= 0 {
		limit = cut
	}
	if hold >= 0 && (limit < 0 || hold < limit) {
		limit = hold
	}
	if limit < 0 {
		io.Copy(w, body)
		return
	}
	io.CopyN(w, body, limit)
	w.(http.Flusher).Flush()
	if hold >= 0 && hold == limit {
		<-r.Context().Done()
	}
	panic(http.ErrAbortHandler) // drop the connection mid-body
}

// flipFirst inverts the first byte of a stream.
type flipFirst struct {
	r    io.Reader
	done bool
}

func (f *flipFirst) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if n > 0 && !f.done {
		b[0] ^= 0xff
		f.done = true
	}
	return n, err
}
