package checks

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

func TestUnixSocketAppearsLate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	c := mustParse(t, "unix://"+path, Options{})
	if err := c.Check(t.Context()); err == nil {
		t.Fatal("ready before the socket exists")
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go testnet.AcceptAndClose(ln)
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("after listen: %v", err)
	}
}

func TestFileAppearsLate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ready")
	exists := mustParse(t, "file://"+path, Options{})
	nonEmpty := mustParse(t, "file://"+path, Options{File: FileOptions{NonEmpty: true}})
	if err := exists.Check(t.Context()); err == nil {
		t.Fatal("ready before the file exists")
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := exists.Check(t.Context()); err != nil {
		t.Fatalf("empty file exists: %v", err)
	}
	if err := nonEmpty.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty file with NonEmpty: got %v, want 'is empty'", err)
	}
	if err := os.WriteFile(path, []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := nonEmpty.Check(t.Context()); err != nil {
		t.Fatalf("file with data: %v", err)
	}
	if err := mustParse(t, "file://"+dir, Options{File: FileOptions{NonEmpty: true}}).Check(t.Context()); err == nil {
		t.Fatal("a directory passed NonEmpty")
	}
}
