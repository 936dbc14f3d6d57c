//go:build linux

package testfs

import (
	"syscall"
	"testing"
)

// ReadOnly remounts the tmpfs SmallTmpfs mounted on dir read-only. Root
// ignores permission bits, so a chmod cannot make a directory unwritable
// for a test run as root; a read-only mount can (EROFS).
func ReadOnly(t testing.TB, dir string) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT | syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
}
