package testregistry

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// CDN serves the registry's storage directory, as the storage behind a
// registry that redirects blob downloads (distribution's redirect
// middleware: GET /v2/…/blobs/DIGEST answers 307 to the CDN). It keeps
// every request's header.
type CDN struct {
	URL     string
	mu      sync.Mutex
	headers []http.Header
	cut     int64 // cut the next body after this many bytes; -1: never
}

func startCDN(t testing.TB, dataDir string, cert *tls.Certificate) *CDN {
	t.Helper()
	c := &CDN{cut: -1}
	files := http.FileServer(http.Dir(dataDir)) // answers Range requests
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.headers = append(c.headers, r.Header.Clone())
		cut := c.cut
		c.cut = -1
		c.mu.Unlock()
		if cut >= 0 {
			w = &cutWriter{ResponseWriter: w, left: cut}
		}
		files.ServeHTTP(w, r)
	}))
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// Headers returns the header of every request the CDN answered.
func (c *CDN) Headers() []http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]http.Header(nil), c.headers...)
}

// CutOnce drops the connection of the next download after n bytes.
func (c *CDN) CutOnce(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = n
}

// cutWriter passes on left bytes of a body, then drops the connection.
type cutWriter struct {
	http.ResponseWriter
	left int64
}

func (w *cutWriter) Write(b []byte) (int, error) {
	if int64(len(b)) <= w.left {
		w.left -= int64(len(b))
		return w.ResponseWriter.Write(b)
	}
	w.ResponseWriter.Write(b[:w.left])
	w.ResponseWriter.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}
