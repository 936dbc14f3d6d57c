package render

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
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
	if got := readBack(t, dest); got != "new\n" {
		t.Errorf("mounted file holds %q", got)
	}
	if got := readBack(t, volume); got != "new\n" {
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
