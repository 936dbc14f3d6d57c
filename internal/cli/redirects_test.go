package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A redirect to another host is ready, as for the kubelet, and check says
// so in a warning on stderr.
func TestCheckWarnsOfRedirectToAnotherHost(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	elsewhere := strings.Replace(closed.URL, "127.0.0.1", "localhost", 1) + "/login"
	closed.Close() // nothing listens there now
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere, http.StatusFound)
	}))
	defer srv.Close()
	code, _, _, stderr := runInitbox(t, "check", srv.URL)
	if code != 0 || !strings.Contains(stderr, "another host") || !strings.Contains(stderr, "WARN") {
		t.Errorf("exit %d, stderr %q; want 0 with a warning about another host", code, stderr)
	}
	code, _, _, stderr = runInitbox(t, "check", "--redirects", "all", srv.URL)
	if code != 1 {
		t.Errorf("with --redirects all: exit %d, want 1 (nothing listens elsewhere); stderr %q", code, stderr)
	}
}
