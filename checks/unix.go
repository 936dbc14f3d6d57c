package checks

import (
	"context"

	"github.com/initbox/initbox/internal/redact"
)

// Unix is ready when a stream connection to the socket at Path succeeds.
type Unix struct {
	Path   string
	target string
}

func newUnix(target, path string) (*Unix, error) {
	if path == "" || path[0] != '/' {
		return nil, usageErrorf(target, "want an absolute path: unix:///run/app.sock")
	}
	return &Unix{Path: path, target: redact.URL(target)}, nil
}

// Check connects to the socket and closes the connection again.
func (u *Unix) Check(ctx context.Context) error {
	return dialWithNet(ctx, "unix", u.Path)
}

func (u *Unix) String() string { return u.target }
