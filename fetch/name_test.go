package fetch

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"model.bin", "model.bin"},
		{"../../etc/passwd", "passwd"},
		{`..\..\boot.ini`, "boot.ini"},
		{".bashrc", "bashrc"},
		{"..", ""},
		{"a\x00b\nc", "a_b_c"},
		{"  spaced  ", "spaced"},
		{strings.Repeat("é", 200), strings.Repeat("é", 127)},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNameFromURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/dl/tool-1.2.tar.gz?token=x", "tool-1.2.tar.gz"},
		{"https://example.com/My%20File.txt", "My File.txt"},
		{"https://example.com/", ""},
		{"https://example.com", ""},
		{"https://example.com/dir/", ""},
		{"https://example.com/%2e%2e", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		if got := nameFromURL(u); got != tt.want {
			t.Errorf("nameFromURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContentDispositionNamesPathlessURL(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Path {
		case "/download/":
			w.Header().Set("Content-Disposition", `attachment; filename="../../.evil name.txt"`)
			w.Write([]byte("named"))
		default:
			w.Write([]byte("home page"))
		}
	})
	dir := t.TempDir()
	f, _ := newTestFetcher(t, Options{})
	for _, res := range f.All(t.Context(), []Job{{URL: srv.URL + "/download/", Dir: dir}, {URL: srv.URL, Dir: dir}}) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	assertContent(t, filepath.Join(dir, "evil name.txt"), []byte("named"))
	assertContent(t, filepath.Join(dir, "index.html"), []byte("home page"))
	assertNoTemp(t, dir, false)
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), ".evil name.txt")); err == nil {
		t.Error("a server-chosen name escaped the directory")
	}
}

func TestCheckRejectsBadJobs(t *testing.T) {
	tests := []struct {
		name string
		jobs []Job
		want string
	}{
		{"scheme", []Job{{URL: "ftp://h/f", Dest: "/x"}}, `unknown scheme "ftp"`},
		{"host", []Job{{URL: "http:///f", Dest: "/x"}}, "missing host"},
		{"file host", []Job{{URL: "file://host/f", Dest: "/x"}}, "file:///"},
		{"no destination", []Job{{URL: "http://h/f"}}, "no destination"},
		{"same file twice", []Job{{URL: "http://a/f", Dir: "/d"}, {URL: "http://b/f", Dir: "/d"}}, "writes /d/f"},
		{"password hidden", []Job{{URL: "gopher://u:hunter2@h/f", Dest: "/x"}}, "xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.jobs, false)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a usage error about %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	if err := Check([]Job{{URL: "https://h/a.tar.gz", Dir: "/d"}, {URL: "https://h/a.zip", Dir: "/d"}}, true); err == nil {
		t.Error("two archives unpacking into /d/a were accepted")
	}
}
