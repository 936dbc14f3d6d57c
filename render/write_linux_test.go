package render

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testfiles"
	"github.com/initbox/initbox/internal/testutil/testfs"
)

// TestSubPathMountIsUpdatedInPlace: Kubernetes mounts a subPath volume as
// a bind mount onto a single file; rename over it fails with EBUSY, and
// the file must be overwritten in place instead.
func TestSubPathMountIsUpdatedInPlace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: bind-mounting a file needs root (run the tests as root to cover the subPath case)")
	}
	dir := t.TempDir()
	volume, dest := filepath.Join(dir, "volume-file"), filepath.Join(dir, "app.conf")
	os.WriteFile(volume, []byte("old content, longer than the new\n"), 0o644)
	os.WriteFile(dest, nil, 0o644)
	if err := syscall.Mount(volume, dest, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("skipped: cannot bind-mount a file here (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dest, syscall.MNT_DETACH) })
	before := statID(t, dest)

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	res, err := apply(t, []Output{out(dest, "new\n")}, WriteOptions{Log: log})
	if err != nil || len(res.Changed) != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	if got := testfiles.Read(t, dest); got != "new\n" {
		t.Errorf("mounted file holds %q", got)
	}
	if got := testfiles.Read(t, volume); got != "new\n" {
		t.Errorf("the volume's file holds %q: the mount was not written through", got)
	}
	if statID(t, dest).ino != before.ino {
		t.Error("inode changed")
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "in place") {
		t.Errorf("no warning about the in-place write:\n%s", logs.String())
	}
	assertNoTemps(t, dir)
}

// A full disk fails the output that does not fit, before any rename: the
// error is still ENOSPC, names the output rather than its temp file, and
// every output keeps its old content.
func TestFullDiskChangesNoOutput(t *testing.T) {
	dir := testfs.SmallTmpfs(t, 64<<10)
	a, b := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf")
	os.WriteFile(a, []byte("old a\n"), 0o644)
	os.WriteFile(b, []byte("old b\n"), 0o644)
	_, err := apply(t, []Output{out(a, "new a\n"), out(b, strings.Repeat("b", 128<<10))}, WriteOptions{})
	want := "writing " + b + ": no space left on device; no output was changed"
	if !errors.Is(err, syscall.ENOSPC) || err.Error() != want {
		t.Errorf("got %v, want %q (ENOSPC)", err, want)
	}
	if testfiles.Read(t, a) != "old a\n" || testfiles.Read(t, b) != "old b\n" {
		t.Error("an output changed")
	}
	assertNoTemps(t, dir)
}
