//go:build unix

package fetch

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive lock on f without waiting, so two runs never
// write the same partial download. The lock goes with the file descriptor.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// inode identifies a file on its device, to tell a file replaced since
// the manifest was written from the one it describes.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
