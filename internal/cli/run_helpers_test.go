package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// serveFiles answers GET path with files[path], or 404.
func serveFiles(files map[string][]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, r.URL.Path, time.Time{}, bytes.NewReader(b))
	}
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func assertContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
}

// fileState is what a write to a file changes: its inode, mtime and bytes.
type fileState struct {
	ino   uint64
	mtime time.Time
	data  string
}

func fileStateOf(t *testing.T, path string) fileState {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{fi.Sys().(*syscall.Stat_t).Ino, fi.ModTime(), string(b)}
}

// runInitbox runs initbox in-process, as clitest.Run does for the black-box
// tests (which this package's own tests cannot import).
func runInitbox(t *testing.T, args ...string) (code int, argv []string, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, argv = Run(t.Context(), append([]string{"initbox"}, args...), &out, &errOut)
	return code, argv, out.String(), errOut.String()
}
