//go:build linux

// Package testfs gives tests file systems with limits: a small tmpfs that
// fills up, for proving that a full disk loses nothing.
package testfs

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// SmallTmpfs mounts a tmpfs of size bytes on a fresh directory and unmounts
// it when the test ends. Mounting needs root: elsewhere the test is skipped,
// or fails when INITBOX_REQUIRE_SERVERS is set (as scripts/test.sh does, so
// CI never skips it silently).
func SmallTmpfs(t testing.TB, size int) string {
	t.Helper()
	dir := t.TempDir()
	err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0755", size))
	if err != nil {
		if os.Getenv("INITBOX_REQUIRE_SERVERS") != "" {
			t.Fatalf("mount a %d-byte tmpfs: %v (run as root)", size, err)
		}
		t.Skipf("SKIPPED: cannot mount a tmpfs (%v); run as root to test a full disk", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
