//go:build unix

package render

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// rawFile is a regular file opened with plain system calls. os.Open
// registers every file with the network poller (fcntls and a failing
// epoll_ctl for a regular file): ten calls a file instead of four, which
// is most of the time a tree of a thousand small templates takes.
type rawFile struct {
	fd   int
	size int64
	mode os.FileMode // permission bits
}

// openRegular opens path for reading; anything but a regular file is an
// error (O_NONBLOCK: a FIFO must not block the open).
func openRegular(path string) (*rawFile, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return &rawFile{fd: fd, size: st.Size, mode: os.FileMode(st.Mode) & os.ModePerm}, nil
}

func (f *rawFile) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Close() error { return syscall.Close(f.fd) }

// readFile reads a whole regular file.
func readFile(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, f.size+1) // +1 to see the end in one more read
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // the file grew: more room
		}
	}
}
