package fetch

import (
	"errors"
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

// getXattr reads an extended attribute of path itself (not of a symlink's
// target).
func getXattr(path, name string) ([]byte, error) {
	for {
		n, err := unix.Lgetxattr(path, name, nil)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, n)
		m, err := unix.Lgetxattr(path, name, buf)
		if errors.Is(err, unix.ERANGE) {
			continue // it grew between the two calls
		}
		if err != nil {
			return nil, err
		}
		return buf[:m], nil
	}
}

// setXattr writes an extended attribute of path. Where the file system has
// no user attributes (or none this large, or none on this kind of file) the
// error is errNoXattr.
func setXattr(path, name string, value []byte) error {
	err := unix.Lsetxattr(path, name, value, 0)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EPERM),
		errors.Is(err, unix.E2BIG), errors.Is(err, unix.ERANGE), errors.Is(err, unix.ENOSPC):
		return errNoXattr
	}
	return err
}
