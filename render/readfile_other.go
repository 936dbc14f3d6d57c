//go:build !unix

package render

import (
	"io/fs"
	"os"
)

type rawFile struct {
	*os.File
	size int64
	mode os.FileMode
}

func openRegular(path string) (*rawFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
		}
		return nil, err
	}
	return &rawFile{File: f, size: fi.Size(), mode: fi.Mode().Perm()}, nil
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
