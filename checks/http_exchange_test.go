package checks

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHTTPExchangeDoesWhatAClientWould holds the direct exchange to what
// http.Client and Transport did for a check: basic auth from the URL,
// "Connection: close", a Host of the URL's, and 1xx answers skipped.
func TestHTTPExchangeDoesWhatAClientWould(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "probe" || pass != "s3cr3t" || !r.Close || r.Host != r.URL.Host && r.Host == "" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	u := "http://probe:s3cr3t@" + srv.Listener.Addr().String() + "/ready"
	c := mustParse(t, u, Options{HTTP: HTTPOptions{Status: "204"}})
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("got %v, want ready (204 after 103)", err)
	}
	if got, want := c.String(), "http://probe:xxxxx@"+srv.Listener.Addr().String()+"/ready"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
