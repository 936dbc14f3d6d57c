//go:build linux

package testfs

import (
	"os"
	"syscall"
	"testing"
)

// NoXattr mounts a ramfs, a file system without user extended attributes,
// on a fresh directory and unmounts it when the test ends. Root only, as
// SmallTmpfs.
func NoXattr(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("ramfs", dir, "ramfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755"); err != nil {
		if os.Getenv("INITBOX_REQUIRE_SERVERS") != "" {
			t.Fatalf("mount a ramfs: %v (run as root)", err)
		}
		t.Skipf("SKIPPED: cannot mount a ramfs (%v); run as root to test a file system without xattrs", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
