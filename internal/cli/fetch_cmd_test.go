package cli_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestFetchBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	sum := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no URLs", []string{"fetch"}, "no URLs"},
		{"no destination", []string{"fetch", "http://h/f"}, "no destination"},
		{"-o with two URLs", []string{"fetch", "-o", "x", "http://h/a", "http://h/b"}, "-o names one file"},
		{"-o and --dir", []string{"fetch", "-o", "x", "--dir", dir, "http://h/a"}, "give one of them"},
		{"bad scheme", []string{"fetch", "-o", "x", "ftp://h/f"}, `unknown scheme "ftp"`},
		{"bad sha256", []string{"fetch", "--sha256", "abc", "-o", "x", "http://h/f"}, "--sha256"},
		{"sha256 count", []string{"fetch", "--sha256", sum, "--dir", dir, "http://h/a", "http://h/b"}, "one per URL"},
		{"bad mode", []string{"fetch", "--mode", "rw", "-o", "x", "http://h/f"}, "--mode"},
		{"bad size", []string{"fetch", "--max-size", "lots", "-o", "x", "http://h/f"}, "--max-size"},
		{"bad checksum URL", []string{"fetch", "--checksum-url", "sums.txt", "-o", "x", "http://h/f"}, "--checksum-url"},
		{"header file missing", []string{"fetch", "--header-file", "X-Key=" + filepath.Join(dir, "none"), "-o", "x", "http://h/f"}, "none"},
		{"same destination", []string{"fetch", "--dir", dir, "http://a/f", "http://b/f"}, "give each URL its own destination"},
		{"nothing after --", []string{"fetch", "-o", "x", "http://h/f", "--"}, `nothing after "--"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, argv, _, stderr := runInitbox(t, tt.args...)
			if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) || argv != nil {
				t.Errorf("exit %d, argv %q, stderr %q; want 2 and a message about %q", code, argv, stderr, tt.want)
			}
		})
	}
}

func TestFetchDownloadsLogsAndChains(t *testing.T) {
	data := []byte("<html>kubernetes</html>")
	srv := testfiles.Server(t, map[string][]byte{"/": data})
	dest := filepath.Join(t.TempDir(), "index.html")
	code, argv, stdout, stderr := runInitbox(t, "fetch", "--sha256", testfiles.SHA256(data), "-o", dest, srv.URL+"/", "--", "true")
	if code != cli.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if strings.Join(argv, " ") != "true" {
		t.Errorf("command %q, want true", argv)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	for _, want := range []string{"msg=downloaded", "file=" + dest, "size=23", "sha256=" + testfiles.SHA256(data)} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary line lacks %q:\n%s", want, stderr)
		}
	}
	_, _, _, stderr = runInitbox(t, "fetch", "--sha256", testfiles.SHA256(data), "-o", dest, srv.URL+"/")
	if !strings.Contains(stderr, "msg=skipped") {
		t.Errorf("re-run: want a skipped line:\n%s", stderr)
	}
}

func TestFetchWrongChecksumExitsOne(t *testing.T) {
	srv := testfiles.Server(t, map[string][]byte{"/app.conf": []byte("new")})
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	os.WriteFile(dest, []byte("old"), 0o644)
	code, argv, _, stderr := runInitbox(t, "fetch", "--sha256", testfiles.SHA256([]byte("other")), "-o", dest, srv.URL+"/app.conf", "--", "true")
	if code != cli.ExitFailed || argv != nil {
		t.Fatalf("exit %d, argv %q; want 1 and no command; stderr:\n%s", code, argv, stderr)
	}
	if !strings.Contains(stderr, "sha256 mismatch") {
		t.Errorf("stderr does not explain:\n%s", stderr)
	}
	if got, _ := os.ReadFile(dest); string(got) != "old" {
		t.Errorf("%s holds %q, want the old content", dest, got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in %s, want the old file alone", len(ents), dir)
	}
}

func TestFetchNotFoundExitsOne(t *testing.T) {
	srv := testfiles.Server(t, nil)
	dir := t.TempDir()
	code, _, _, stderr := runInitbox(t, "fetch", "--dir", dir, srv.URL+"/model.bin")
	if code != cli.ExitFailed || !strings.Contains(stderr, "status 404") {
		t.Fatalf("exit %d; want 1 and the status; stderr:\n%s", code, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d entries in %s, want none", len(ents), dir)
	}
}

func TestFetchTimeoutExits124(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		http.Error(w, "warming up", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	dir := t.TempDir()
	code, _, _, stderr := runInitbox(t, "fetch", "--timeout", "2s", "-o", filepath.Join(dir, "f"), srv.URL+"/f")
	if code != cli.ExitTimeout {
		t.Fatalf("exit %d, want 124; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, `msg="timed out"`) || !strings.Contains(stderr, "503") {
		t.Errorf("stderr does not say it timed out and why:\n%s", stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d entries in %s, want none", len(ents), dir)
	}
}

func TestFetchKeepsSecretsOutOfLogs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-SECRET" {
			http.Error(w, "denied", http.StatusForbidden)
			return
		}
		http.Error(w, "gone", http.StatusNotFound)
	}))
	defer srv.Close()
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("tok-SECRET\n"), 0o600)
	url := strings.Replace(srv.URL, "http://", "http://user:pw-SECRET@", 1) + "/f?sig=sig-SECRET"
	for _, format := range []string{"text", "json"} {
		code, _, _, stderr := runInitbox(t, "--log-format", format, "fetch", "--bearer-token-file", token,
			"--header", "X-Trace: hdr-SECRET", "-o", filepath.Join(dir, "f"), url)
		if code != cli.ExitFailed || !strings.Contains(stderr, "404") {
			t.Fatalf("%s: exit %d, want 1 with the 404; stderr:\n%s", format, code, stderr)
		}
		if strings.Contains(stderr, "SECRET") {
			t.Errorf("%s: a secret appears on stderr:\n%s", format, stderr)
		}
	}
}
