package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"syscall"
)

// Gone returns a check that is ready when c's target is definitely gone:
// nothing accepts the connection (refused, host or network unreachable),
// the name or file does not exist, or the target answers that it is not
// ready (an HTTP status outside the accepted set, NXDOMAIN, a server that
// says it is starting or shutting down).
//
// An attempt that gets no definite answer is not taken for gone: a timeout
// is also what a server in a long pause or with a full accept queue gives,
// SERVFAIL says nothing about the name, and refused credentials say nothing
// about the server. Such an attempt fails with a *NotGoneError whose Err
// says why, and the wait goes on.
func Gone(c Checker) Checker { return &gone{c: c} }

type gone struct{ c Checker }

func (g *gone) String() string { return g.c.String() }

func (g *gone) Check(ctx context.Context) error {
	_, err := g.CheckDetail(ctx)
	return err
}

// CheckDetail reports, when the target is gone, the observation that
// proves it ("connect: connection refused", "NXDOMAIN for …").
func (g *gone) CheckDetail(ctx context.Context) (string, error) {
	seen, err := observe(ctx, g.c)
	switch {
	case err == nil:
		return "", &NotGoneError{Seen: seen}
	case absent(g.c, err):
		return err.Error(), nil
	}
	return "", &NotGoneError{Err: err}
}

// NotGoneError is an attempt that did not find its target gone: either it
// was seen there (Seen says how), or the attempt got no definite answer
// (Err says why).
type NotGoneError struct {
	Seen string
	Err  error
}

func (e *NotGoneError) Error() string {
	if e.Err == nil {
		return "still there: " + e.Seen
	}
	return "cannot tell whether gone: " + e.Err.Error()
}

func (e *NotGoneError) Unwrap() error { return e.Err }

// observe runs one ordinary attempt and, when it succeeds, says what was
// seen, for the "still there" message.
func observe(ctx context.Context, c Checker) (string, error) {
	switch c := c.(type) {
	case *HTTP:
		code, _, err := c.do(ctx)
		return fmt.Sprintf("status %d %s", code, http.StatusText(code)), err
	case *TCP, *Unix:
		return "accepts connections", c.Check(ctx)
	case *File:
		return fileSeen(c.Path), c.Check(ctx)
	case Detailer:
		return c.CheckDetail(ctx)
	}
	return "answers as ready", c.Check(ctx)
}

func fileSeen(path string) string {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return "exists"
	case fi.IsDir():
		return "exists (a directory)"
	}
	return fmt.Sprintf("exists (%d bytes)", fi.Size())
}

// goneErrnos are the dial errors that prove nothing accepts connections at
// the address. A timeout is not among them.
var goneErrnos = []error{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN}

// absent reports whether err, from an attempt against c, is a definite
// observation that the target is not ready.
func absent(c Checker, err error) bool {
	var d definiteError
	if errors.As(err, &d) {
		return true
	}
	switch c.(type) {
	case *DNS:
		return false // its definite answers are marked where they are judged
	case *File:
		return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
	case *Unix:
		return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
	}
	var status *StatusError
	if errors.As(err, &status) {
		return !credentialStatus(status.Code)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		// Go's resolver: the name does not exist. Timeouts and SERVFAIL
		// come as temporary or timeout errors, which prove nothing.
		return dnsErr.IsNotFound && !dnsErr.IsTimeout && !dnsErr.IsTemporary
	}
	for _, e := range goneErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// credentialStatus tells a refusal of the request's credentials, which says
// nothing about whether the server is going away: a mistyped token must not
// end a wait for gone at once.
func credentialStatus(code int) bool {
	return code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusProxyAuthRequired
}

// definiteError marks a not-ready error that is an answer rather than a
// failure to get one: the target was reached and said, or showed, that it
// is not ready. Its message is the wrapped error's.
type definiteError struct{ error }

func (e definiteError) Unwrap() error { return e.error }

func definite(err error) error { return definiteError{err} }
