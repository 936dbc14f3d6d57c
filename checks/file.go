package checks

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/initbox/initbox/internal/redact"
)

// FileOptions configures file:// targets.
type FileOptions struct {
	NonEmpty bool // also require a size greater than zero
}

// File is ready when the file at Path exists (and, with NonEmpty, has data).
type File struct {
	Path     string
	NonEmpty bool
	target   string
}

func newFile(target string, o FileOptions) (*File, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, usageErrorf(target, "%s", redact.ParseError(target, err))
	}
	if u.Host != "" && u.Host != "localhost" {
		return nil, usageErrorf(target, "want file:///absolute/path (three slashes), not a host %q", u.Host)
	}
	if u.Path == "" || u.Path[0] != '/' {
		return nil, usageErrorf(target, "want an absolute path: file:///shared/ready")
	}
	return &File{Path: u.Path, NonEmpty: o.NonEmpty, target: redact.URL(target)}, nil
}

// Check stats the file; it follows symlinks, as the reader of the file will.
func (f *File) Check(context.Context) error {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return err
	}
	if !f.NonEmpty {
		return nil
	}
	if !fi.Mode().IsRegular() {
		return definite(fmt.Errorf("%s exists but is not a regular file", f.Path))
	}
	if fi.Size() == 0 {
		return definite(fmt.Errorf("%s exists but is empty", f.Path))
	}
	return nil
}

func (f *File) String() string { return f.target }
