package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/option"
)

func TestFileIsConfinedToAllowedDirectories(t *testing.T) {
	base := t.TempDir()
	allowed := filepath.Join(base, "secrets")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{allowed, filepath.Join(allowed, "sub"), outside} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(allowed, "token"), []byte("tok"), 0o600)
	os.WriteFile(filepath.Join(allowed, "sub", "ca.pem"), []byte("pem"), 0o600)
	os.WriteFile(filepath.Join(outside, "passwd"), []byte("root"), 0o600)
	// Kubernetes volumes: key -> ..data/key -> ..2026/key, all inside.
	os.MkdirAll(filepath.Join(allowed, "..2026"), 0o755)
	os.WriteFile(filepath.Join(allowed, "..2026", "key"), []byte("k8s"), 0o600)
	os.Symlink("..2026", filepath.Join(allowed, "..data"))
	os.Symlink("..data/key", filepath.Join(allowed, "key"))
	// Escapes.
	os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(allowed, "abs-link"))
	os.Symlink("../outside/passwd", filepath.Join(allowed, "rel-link"))
	os.Symlink(outside, filepath.Join(allowed, "dir-link"))

	tests := []struct {
		path, want string // want: content, or "ERR: " and part of the error
	}{
		{filepath.Join(allowed, "token"), "tok"},
		{filepath.Join(allowed, "sub", "ca.pem"), "pem"},
		{filepath.Join(allowed, "sub", "..", "token"), "tok"},
		{filepath.Join(allowed, "key"), "k8s"},
		{filepath.Join(outside, "passwd"), "ERR: outside the allowed directories"},
		{allowed + "/../outside/passwd", "ERR: outside the allowed directories"},
		{filepath.Join(allowed, "abs-link"), "ERR: escapes"},
		{filepath.Join(allowed, "rel-link"), "ERR: escapes"},
		{filepath.Join(allowed, "dir-link", "passwd"), "ERR: escapes"},
		{filepath.Join(allowed, "none"), "ERR: no such file"},
		{allowed + "x/token", "ERR: outside the allowed directories"}, // a sibling with the same prefix
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, base), func(t *testing.T) {
			got, err := renderString(t, Options{AllowDirs: []string{allowed}}, `{{ file "`+tt.path+`" }}`)
			checkResult(t, got, err, tt.want)
		})
	}
	t.Run("no allowed directory", func(t *testing.T) {
		_, err := renderString(t, Options{}, `{{ file "`+filepath.Join(allowed, "token")+`" }}`)
		checkResult(t, "", err, "ERR: allow a directory with "+string(option.AllowDirs))
	})
}

// checkResult compares an output or an error with want ("ERR: " and part
// of the message for an error).
func checkResult(t *testing.T, got string, err error, want string) {
	t.Helper()
	wantErr, isErr := strings.CutPrefix(want, "ERR: ")
	switch {
	case isErr && err == nil:
		t.Errorf("got %q, want an error with %q", got, wantErr)
	case isErr && !strings.Contains(err.Error(), wantErr):
		t.Errorf("got error %v, want one with %q", err, wantErr)
	case !isErr && err != nil:
		t.Errorf("got error %v, want %q", err, want)
	case !isErr && got != want:
		t.Errorf("got %q, want %q", got, want)
	}
}
