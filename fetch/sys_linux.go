package fetch

import (
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps two paths atomically (renameat2 RENAME_EXCHANGE), so a
// directory is replaced with no instant where it is missing.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// syncTree makes a freshly unpacked tree durable with one syncfs(2), far
// cheaper than an fsync per file for archives of many small files.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// startWriteback asks the kernel to start writing a range of f to disk,
// without waiting (sync_file_range SYNC_FILE_RANGE_WRITE). It is advice:
// errors are ignored, the fsync before the rename is what counts.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
