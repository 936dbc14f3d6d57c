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
}

func startCDN(t testing.TB, dataDir string, cert *tls.Certificate) *CDN {
	t.Helper()
	c := &CDN{}
	files := http.FileServer(http.Dir(dataDir)) // answers Range requests
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.headers = append(c.headers, r.Header.Clone())
		c.mu.Unlock()
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
