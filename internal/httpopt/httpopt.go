// Package httpopt reads the HTTP options that wait/check and fetch share:
// request headers given inline or read from files (mounted secrets), and a
// CA file. Errors are *ArgError values naming the argument at fault, never
// a header's value: values are often tokens.
package httpopt

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/textproto"
	"os"
	"strings"
)

// ArgError is a bad command-line argument; Arg is safe to print.
type ArgError struct {
	Arg string
	Err error
}

func (e *ArgError) Error() string { return e.Arg + ": " + e.Err.Error() }
func (e *ArgError) Unwrap() error { return e.Err }

func argErrorf(arg, format string, a ...any) error {
	return &ArgError{Arg: arg, Err: fmt.Errorf(format, a...)}
}

// Header turns "Name: value" lines and "Name=/path" files (the value is the
// file's content, trimmed) into a header with canonical names.
func Header(lines, files []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range lines {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, argErrorf("--header "+hide(line), `want "Name: value"`)
		}
		if err := add(h, name, value, "--header "+strings.TrimSpace(name)); err != nil {
			return nil, err
		}
	}
	for _, spec := range files {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || path == "" {
			return nil, argErrorf("--header-file "+hide(spec), `want "Name=/path/to/file"`)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, SecretFileError("--header-file "+strings.TrimSpace(name)+"=", path, err)
		}
		if err := add(h, name, string(data), "--header-file "+spec); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func add(h http.Header, name, value, arg string) error {
	name = strings.TrimSpace(name)
	value = strings.TrimSpace(value)
	if !validName(name) {
		return argErrorf(arg, "%q is not a valid header name", name)
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return argErrorf(arg, "the value has characters a header cannot carry (a newline?)")
	}
	h.Add(textproto.CanonicalMIMEHeaderKey(name), value)
	return nil
}

// hide keeps a malformed argument out of messages except for its start, in
// case it is a bare token.
func hide(s string) string {
	if len(s) > 12 {
		return s[:4] + "…"
	}
	return "(value hidden)"
}

// validName reports whether name is an RFC 9110 token. (net/http has this
// check only internally; importing x/net's copy would add a second one to
// the binary.)
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// SecretFileError says that a file holding a secret cannot be read. It
// names the file only if the name has a "/": a token given in place of
// its file's path must not be printed.
func SecretFileError(arg, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // its message names the file
	}
	if strings.Contains(path, "/") {
		return &ArgError{Arg: arg + path, Err: err}
	}
	return &ArgError{Arg: strings.TrimRight(arg, " ="), Err: fmt.Errorf(`%w (the name given is not shown: without a "/" it may be the secret itself; give the file's path, e.g. ./token)`, err)}
}

// CertPool reads a PEM file of CA certificates; "" gives nil (system roots).
func CertPool(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, argErrorf("--ca-file "+caFile, "%v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, argErrorf("--ca-file "+caFile, "no PEM certificates found")
	}
	return pool, nil
}

// AsArgError reports whether err is an *ArgError, for callers that turn it
// into their own usage error.
func AsArgError(err error) (*ArgError, bool) {
	var ae *ArgError
	ok := errors.As(err, &ae)
	return ae, ok
}
