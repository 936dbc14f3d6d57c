package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// errorPage is a typical server's 404, python3 -m http.server's cut short:
// HTML, whose markup must not reach the log. How its text is read is
// bodytext's to test; here, only that the commands use it.
const errorPage = "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head><title>Error response</title></head>\n" +
	"<body>\n<h1>Error response</h1>\n<p>Message: File not found.</p>\n</body>\n</html>\n"

// TestErrorPagesShowTheirText: wait, check and fetch against a server
// answering 404 with an HTML page say what the page says, not its markup.
func TestErrorPagesShowTheirText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(errorPage))
	}))
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "f")
	for _, args := range [][]string{
		{"wait", "--timeout", "300ms", srv.URL + "/healthz"},
		{"check", srv.URL + "/healthz"},
		{"fetch", "-o", dest, srv.URL + "/f"},
	} {
		t.Run(args[0], func(t *testing.T) {
			_, _, _, stderr := runInitbox(t, args...)
			if !strings.Contains(stderr, "status 404 Not Found") || !strings.Contains(stderr, "Message: File not found.") {
				t.Errorf("stderr does not give the status and the page's text:\n%s", stderr)
			}
			for _, markup := range []string{"<", `\u003c`, "DOCTYPE", "&lt;", `\n`} {
				if strings.Contains(stderr, markup) {
					t.Errorf("stderr shows markup %q:\n%s", markup, stderr)
				}
			}
		})
	}
}
